import Events
import Foundation
import TestSupport
import Testing

// MARK: - Running `concierge simulate --dry-run`

/// `concierge simulate` lives in the executable target, which tests cannot import: these tests run the built CLI
/// with `--dry-run` (no Kafka) and check what it generated, from its `--dump` of records and its `--json-summary`.
enum Simulate {
    struct Summary: Decodable {
        struct Phase: Decodable {
            var events: Int
            var eventsByKind: [String: Int]
            var failures: Int
        }

        var runId: String
        var events: Int
        var eventsByKind: [String: Int]
        var walkIns: Int
        var failures: Int
        var stoppedBy: String
        var visitIdPrefix: String
        var walkInsByHour: [String: Int]
        var profilesByTier: [String: Int]
        var reference: Phase?
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String

        func summary() throws -> Summary {
            try JSONDecoder().decode(Summary.self, from: Data(stdout.utf8))
        }
    }

    /// One record of a dump: `topic key value`.
    struct Record {
        var topic: String
        var key: String
        var value: [UInt8]
        var line: Int
    }

    static var executable: URL { TestEnvironment.binDirectory.appendingPathComponent("concierge") }

    /// Runs `concierge simulate` with `arguments` and waits (polling, so no thread of the pool blocks).
    static func run(_ arguments: [String]) async throws -> Output {
        try #require(
            FileManager.default.isExecutableFile(atPath: executable.path),
            "build the CLI first (swift build): \(executable.path)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (stdout, stderr) = (directory.appendingPathComponent("out"), directory.appendingPathComponent("err"))
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["simulate"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            process.terminate()
            Issue.record("concierge simulate \(arguments) did not finish within 120 s")
        }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: try String(contentsOf: stdout, encoding: .utf8),
            stderr: try String(contentsOf: stderr, encoding: .utf8))
    }

    /// A dry run with a dump: the summary and every record, in the order they would have been sent.
    static func dryRun(_ arguments: [String]) async throws -> (summary: Summary, records: [Record], dump: Data) {
        let dump = FileManager.default.temporaryDirectory.appendingPathComponent("simulate-\(UUID().uuidString).dump")
        defer { try? FileManager.default.removeItem(at: dump) }
        let output = try await run(["--dry-run", "--json-summary", "--dump", dump.path] + arguments)
        try #require(output.status == 0, "simulate failed: \(output.stderr)")
        let bytes = try Data(contentsOf: dump)
        var records: [Record] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
            let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
            try #require(parts.count == 3, "line \(index + 1) is not \"topic key value\"")
            records.append(
                Record(
                    topic: String(decoding: parts[0], as: UTF8.self), key: String(decoding: parts[1], as: UTF8.self),
                    value: Array(parts[2]), line: index))
        }
        return (try output.summary(), records, bytes)
    }

    /// A fixed day, so that runs can be compared byte for byte.
    static let fixedDay = ["--timestamps", "day", "--date", "2026-11-23"]
}

// MARK: - SimulationTests

@Suite("concierge simulate: the simulated bank day")
struct SimulationTests {
    @Test("every simulated event is a valid contract event on its topic, keyed by its partition key, with a unique id")
    func everyEventDecodes() async throws {
        let (summary, records, _) = try await Simulate.dryRun(
            [
                "--branches", "3", "--customers-per-branch", "400", "--walkins", "3000", "--seed", "11", "--run-id",
                "Tdecode",
            ]
                + Simulate.fixedDay)
        #expect(summary.failures == 0)
        #expect(records.count == summary.events + (summary.reference?.events ?? 0))

        var ids = Set<String>()
        var countsByType: [String: Int] = [:]
        var visitIDs = Set<String>()
        for record in records {
            let event: IncomingEvent
            do {
                event = try EventCatalog.decode(record.value, onTopic: record.topic)
            } catch {
                Issue.record("line \(record.line + 1) on \(record.topic): \(error.reason)")
                continue
            }
            #expect(record.key == event.partitionKey, "line \(record.line + 1)")
            #expect(ids.insert(event.id).inserted, "duplicate event id \(event.id)")
            countsByType[event.type, default: 0] += 1
            if case .visitArrived(let arrival) = event.payload {
                #expect(arrival.visitId.hasPrefix("VTdecode-"))
                #expect(visitIDs.insert(arrival.visitId).inserted, "duplicate visit id \(arrival.visitId)")
            }
        }
        // Every input event type of the contract is simulated.
        let inputTypes = Set(
            EventCatalog.allEventTypes.filter { Topics.inputs.contains(EventCatalog.topic(forEventType: $0)!) })
        #expect(Set(countsByType.keys) == inputTypes)
        #expect(visitIDs.count == 3000 && summary.walkIns == 3000)
        #expect(summary.stoppedBy == "walkins")
        // The summary counts what was generated.
        let kinds: [String: String] = [
            VisitArrived.Latest.eventType: "walkIns", VisitSignal.Latest.eventType: "signals",
            VisitServed.Latest.eventType: "served", VisitLeft.Latest.eventType: "left",
            ComplaintLodged.Latest.eventType: "complaints", EscalationRaised.Latest.eventType: "escalations",
            ContactLogged.Latest.eventType: "contacts", ProductSold.Latest.eventType: "sales",
            AppointmentBooked.Latest.eventType: "appointments",
        ]
        for (type, kind) in kinds {
            #expect(countsByType[type] == summary.eventsByKind[kind], "\(kind)")
        }
        #expect(countsByType[StaffUpdated.Latest.eventType] == 3 * 18)  // 12 front and back office + 6 managers
        #expect(countsByType[CustomerProfile.Latest.eventType] == 1_200)
    }

    @Test("C-06 a visit's signal, service and departure follow its arrival, and service comes before departure")
    func visitEventsInOrder() async throws {
        let (_, records, _) = try await Simulate.dryRun(
            ["--branches", "2", "--customers-per-branch", "300", "--walkins", "2000", "--skip-reference"]
                + Simulate.fixedDay)
        var arrived: [String: Timestamp] = [:]
        var served: [String: Timestamp] = [:]
        var followUps = 0
        for record in records where record.topic == Topics.branchVisits {
            let event = try EventCatalog.decode(record.value, onTopic: record.topic)
            switch event.payload {
            case .visitArrived(let arrival):
                arrived[arrival.visitId] = arrival.arrivedAt
            case .visitSignal(let signal):
                let arrival = try #require(arrived[signal.visitId], "signal before arrival of \(signal.visitId)")
                #expect(arrival < signal.at)
                followUps += 1
            case .visitServed(let service):
                let arrival = try #require(arrived[service.visitId], "service before arrival of \(service.visitId)")
                #expect(arrival < service.at)
                served[service.visitId] = service.at
                followUps += 1
            case .visitLeft(let left):
                let arrival = try #require(arrived[left.visitId], "departure before arrival of \(left.visitId)")
                #expect(arrival < left.at)
                if let service = served[left.visitId] { #expect(service < left.at && left.outcome == .served) }
                followUps += 1
            default:
                Issue.record("unexpected \(event.type) on branch.visits")
            }
        }
        #expect(arrived.count == 2000)
        #expect(followUps > 1_000)
    }

    @Test("the morning peak: more walk-ins 09:00–11:00 than 14:00–16:00, a lunchtime bump, none after closing")
    func morningPeak() async throws {
        let (summary, records, _) = try await Simulate.dryRun(["--days", "1", "--skip-reference"] + Simulate.fixedDay)
        var byHour: [Int: Int] = [:]
        for record in records where record.topic == Topics.branchVisits {
            guard case .visitArrived(let arrival) = try EventCatalog.decode(record.value).payload else { continue }
            #expect(arrival.arrivedAt.utcOffsetSeconds == 8 * 3600)
            let local = arrival.arrivedAt.millisecondsSinceEpoch / 1000 + 8 * 3600
            #expect(BusinessDate(localDateOf: arrival.arrivedAt).description == "2026-11-23")
            byHour[Int(local % 86_400 / 3600), default: 0] += 1
        }
        #expect(byHour.values.reduce(0, +) == 3_000)  // 10 branches × 300 a day
        #expect(Set(byHour.keys).isSubset(of: Set(9..<17)))
        let morning = byHour[9, default: 0] + byHour[10, default: 0]
        let afternoon = byHour[14, default: 0] + byHour[15, default: 0]
        #expect(morning > 2 * afternoon, "09–11: \(morning), 14–16: \(afternoon)")
        #expect(Double(morning) > 0.45 * 3_000, "most arrivals come in the first two hours")
        #expect(byHour[12, default: 0] > byHour[11, default: 0] && byHour[12, default: 0] > byHour[13, default: 0])
        // The summary's histogram counts the same arrivals.
        #expect(
            summary.walkInsByHour
                == Dictionary(uniqueKeysWithValues: byHour.map { (String(format: "%02d", $0.key), $0.value) }))
    }

    @Test("B-01 B-03 assets are log-normal: about 16 % at or above the VIP line, a thinning tail in tiers B and C")
    func assetDistribution() async throws {
        let (summary, records, _) = try await Simulate.dryRun(["--walkins", "1"] + Simulate.fixedDay)
        var assets: [Amount] = []
        var vipCardHolders = 0
        for record in records where record.topic == Topics.customerProfiles {
            guard case .customerProfile(let profile) = try EventCatalog.decode(record.value).payload else { continue }
            assets.append(profile.aumDailyAvg)
            if profile.aumDailyAvg >= Amount(units: 300_000) {
                if profile.cardHolder == true { vipCardHolders += 1 }
            } else {
                #expect(profile.cardHolder == false, "\(profile.customerId) below the VIP line holds the VIP card")
            }
        }
        #expect(assets.count == 20_000)
        let share = { (minimum: Int64) in
            Double(assets.filter { $0 >= Amount(units: minimum) }.count) / Double(assets.count)
        }
        let (vip, tierB, tierC) = (share(300_000), share(1_000_000), share(3_000_000))
        #expect((0.12...0.20).contains(vip), "at or above 300,000: \(vip)")
        #expect((0.02...0.06).contains(tierB), "at or above 1,000,000: \(tierB)")
        #expect((0.003...0.012).contains(tierC), "at or above 3,000,000: \(tierC)")
        #expect(
            vip - tierB > tierB - tierC && tierB - tierC > tierC, "tier A holds more customers than B, B more than C")
        let median = assets.sorted()[assets.count / 2]
        #expect((Amount(units: 40_000)...Amount(units: 90_000)).contains(median), "median \(median.decimalString)")
        let cardHolderShare = Double(vipCardHolders) / (vip * Double(assets.count))
        #expect((0.88...0.96).contains(cardHolderShare), "VIP card holders among VIPs: \(cardHolderShare)")
        #expect(summary.profilesByTier["none"] == assets.filter { $0 < Amount(units: 300_000) }.count)
        #expect(summary.profilesByTier["C"] == assets.filter { $0 >= Amount(units: 3_000_000) }.count)

        // A richer bank: the median moves the whole distribution.
        let rich = try await Simulate.run(
            ["--dry-run", "--json-summary", "--walkins", "1", "--median-assets", "300000"] + Simulate.fixedDay)
        let tiers = try rich.summary().profilesByTier
        let richVIP = Double(tiers["A", default: 0] + tiers["B", default: 0] + tiers["C", default: 0]) / 20_000
        #expect((0.45...0.55).contains(richVIP), "with a median of 300,000 about half are VIPs: \(richVIP)")
    }

    @Test("the same seed and run id repeat a run byte for byte; another seed gives another day")
    func deterministicBySeed() async throws {
        let arguments =
            ["--branches", "2", "--customers-per-branch", "200", "--walkins", "1500", "--run-id", "Tseed"]
            + Simulate.fixedDay
        let first = try await Simulate.dryRun(arguments + ["--seed", "7"])
        let second = try await Simulate.dryRun(arguments + ["--seed", "7"])
        let other = try await Simulate.dryRun(arguments + ["--seed", "8"])
        #expect(first.records.count > 2_000)
        #expect(first.dump == second.dump)
        #expect(first.dump != other.dump)
        // Another run id: other visit and event ids, the same bank.
        let renamed = try await Simulate.dryRun(
            [
                "--branches", "2", "--customers-per-branch", "200", "--walkins", "1500", "--run-id", "Tother", "--seed",
                "7",
            ]
                + Simulate.fixedDay)
        #expect(renamed.summary.visitIdPrefix == "VTother-")
        let profiles = { (records: [Simulate.Record]) in
            records.filter { $0.topic == Topics.customerProfiles }.map(\.key)
        }
        #expect(profiles(renamed.records) == profiles(first.records))
    }

    @Test("pacing: a walk-in rate or an event rate for a duration sends exactly rate × duration")
    func pacing() async throws {
        let walkIns = try await Simulate.run(
            ["--dry-run", "--json-summary", "--skip-reference", "--walkins-per-second", "50", "--duration", "8"])
        let walkInSummary = try walkIns.summary()
        #expect(walkInSummary.walkIns == 400)
        #expect(walkInSummary.stoppedBy == "duration")
        // Without holding a visit's later events back (they would be due after the end).
        let events = try await Simulate.run(
            ["--dry-run", "--json-summary", "--skip-reference", "--rate", "200", "--duration", "5", "--follow-on-delay", "0"])
        let eventSummary = try events.summary()
        #expect(eventSummary.events == 1_000)
        // A day compressed into 20 s at 30 walk-ins a second on average holds 600 walk-ins.
        let day = try await Simulate.run(
            [
                "--dry-run", "--json-summary", "--skip-reference", "--day-length", "20", "--walkins-per-second", "30",
                "--duration", "20",
            ] + Simulate.fixedDay)
        let summary = try day.summary()
        #expect(summary.walkIns == 600)
        #expect(summary.walkInsByHour["09", default: 0] > 2 * summary.walkInsByHour["15", default: 0])
    }

    @Test("a visit's later events are sent at least --follow-on-delay after its arrival, at the walk-in rate")
    func followOnDelay() async throws {
        // At 100 walk-ins a second, 2 s after an arrival at least 200 more walk-ins have been sent.
        let gaps = { (delay: String) async throws -> [Int] in
            let (_, records, _) = try await Simulate.dryRun(
                ["--branches", "2", "--customers-per-branch", "300", "--walkins", "3000", "--skip-reference",
                 "--walkins-per-second", "100", "--follow-on-delay", delay] + Simulate.fixedDay)
            var walkIns = 0
            var arrivalIndex: [String: Int] = [:]
            var gaps: [Int] = []
            // Visits of the last 2 s have later events after the last walk-in: no walk-ins left to count.
            let gap = { (visit: String) in arrivalIndex[visit].flatMap { $0 <= 2_800 ? walkIns - $0 : nil } }
            for record in records where record.topic == Topics.branchVisits || record.topic == Topics.branchComplaints {
                let event = try EventCatalog.decode(record.value)
                switch event.payload {
                case .visitArrived(let arrival):
                    walkIns += 1
                    arrivalIndex[arrival.visitId] = walkIns
                case .visitSignal(let data): gaps.append(contentsOf: gap(data.visitId).map { [$0] } ?? [])
                case .visitServed(let data): gaps.append(contentsOf: gap(data.visitId).map { [$0] } ?? [])
                case .visitLeft(let data): gaps.append(contentsOf: gap(data.visitId).map { [$0] } ?? [])
                case .complaintLodged(let data): gaps.append(contentsOf: gap(data.visitId!).map { [$0] } ?? [])
                default: break
                }
            }
            return gaps
        }
        let held = try await gaps("2")
        #expect(held.count > 1_000)
        #expect(held.min()! >= 199, "a later event went out \(held.min()!) walk-ins after its arrival")
        // Without the delay a compressed day sends some within a fraction of a second (a few walk-ins later).
        let compressed = try await gaps("0")
        #expect(compressed.min()! < 100)
    }

    @Test("the event mix follows its options: a zero share gives none, a share gives its proportion")
    func eventMix() async throws {
        let quiet = try await Simulate.run(
            [
                "--dry-run", "--json-summary", "--skip-reference", "--walkins", "2000", "--signal-share", "0",
                "--complaint-share", "0", "--escalation-share", "0", "--contact-share", "0", "--sale-share", "0",
                "--appointment-share", "0", "--served-share", "0", "--left-share", "0",
            ])
        // Referred walk-ins who are not served decline or leave unserved; nothing else happens.
        let quietSummary = try quiet.summary()
        #expect(Set(quietSummary.eventsByKind.keys) == ["walkIns", "left"])
        let busy = try await Simulate.run(["--dry-run", "--json-summary", "--skip-reference", "--days", "2"])
        let counts = try busy.summary().eventsByKind
        let perWalkIn = { (kind: String) in Double(counts[kind, default: 0]) / Double(counts["walkIns", default: 1]) }
        #expect(counts["walkIns"] == 6_000)
        #expect(abs(perWalkIn("contacts") - 0.6) < 0.02)
        #expect(abs(perWalkIn("sales") - 0.1) < 0.01)
        #expect(abs(perWalkIn("appointments") - 0.05) < 0.01)
        #expect(abs(perWalkIn("signals") - 0.06) < 0.015)
        #expect(abs(perWalkIn("complaints") - 0.01) < 0.006)
    }

    @Test(
        "options that contradict each other are refused before anything is generated",
        arguments: [
            (["--dry-run", "--max", "--day-length", "10"], "--max"),
            (["--dry-run", "--rate", "10", "--walkins-per-second", "10"], "at most one of"),
            (["--dry-run", "--run-id", "a_b"], "--run-id"),
            (["--dump", "/tmp/simulate-refused.dump"], "--dump needs --dry-run"),
            (["--dry-run", "--signal-share", "1.5"], "--signal-share"),
            (["--dry-run", "--branches", "0"], "--branches"),
            (["--dry-run", "--date", "2026-02-30"], "--date"),
        ])
    func refusesContradictions(arguments: [String], message: String) async throws {
        let output = try await Simulate.run(arguments)
        #expect(output.status != 0, "\(arguments) was accepted")
        #expect(output.stderr.contains(message), "\(output.stderr)")
        #expect(!output.stderr.contains("simulate: run"), "it started generating")
    }
}
