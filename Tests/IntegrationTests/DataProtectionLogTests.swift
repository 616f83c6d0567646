import Events
import Foundation
import Messaging
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

/// No personal data in any log (rulebook H-01, H-03): the five executables run at `LOG_LEVEL=debug` over a realistic
/// mix carrying planted phone numbers, names, complaint text and a PIN; afterwards every log file of the run is
/// scanned for them. The services reach PostgreSQL over TLS (`sslmode=verify-full`) in this run.
@Suite("No personal data in logs (full run)", .serialized, .timeLimit(.minutes(6)))
struct DataProtectionLogTests {
    /// Finds personal data in log text: the exact planted values, short planted tokens (a PIN) standing alone, and
    /// anything shaped like a mainland mobile number (`1[3-9]` and nine more digits, standing alone, optionally after
    /// `+86`).
    struct Scanner {
        let planted: [String]
        let tokens: [String]
        /// A mobile number; that nothing alphanumeric precedes it is checked separately (no look-behind in Swift
        /// regexes).
        let mobile = try! Regex(#"(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9A-Za-z])"#, as: Substring.self)

        /// - Parameters:
        ///   - planted: values found anywhere in a line (long enough never to occur by chance).
        ///   - tokens: short values (digits) found only where they stand alone, not inside a longer number or id.
        init(planted: [String], tokens: [String] = []) {
            self.planted = planted
            self.tokens = tokens
        }

        /// The ranges of personal data in `line` other than the planted values: standalone tokens and mobile
        /// numbers.
        func ranges(in line: Substring) -> [Range<Substring.Index>] {
            func joined(_ index: Substring.Index, before: Bool, also: String) -> Bool {
                if before {
                    guard index > line.startIndex else { return false }
                    let character = line[line.index(before: index)]
                    return character.isASCII && (character.isLetter || character.isNumber) || also.contains(character)
                }
                guard index < line.endIndex else { return false }
                let character = line[index]
                return character.isASCII && (character.isLetter || character.isNumber) || also.contains(character)
            }
            var found = tokens.flatMap { line.ranges(of: $0) }.filter {
                !joined($0.lowerBound, before: true, also: ".") && !joined($0.upperBound, before: false, also: ".")
            }
            found += line.matches(of: mobile).map(\.range).filter { !joined($0.lowerBound, before: true, also: "") }
            return found
        }

        /// What in `line` is personal data, masked for the report.
        func findings(in line: Substring) -> [String] {
            planted.filter { line.contains($0) }.map { "planted value \(Self.mask($0))" }
                + ranges(in: line).map { "personal number \(Self.mask(String(line[$0])))" }
        }

        /// The value with its middle masked (`138****5678`; text keeps its first and last two characters).
        static func mask(_ value: String) -> String {
            value.allSatisfy({ $0.isNumber || $0 == " " || $0 == "+" })
                ? PersonalData.masked(value)
                : String(value.prefix(2)) + String(repeating: "*", count: max(0, value.count - 4)) + String(value.suffix(2))
        }

        /// The line with every finding masked, to show where it was without repeating it.
        func masked(_ line: Substring) -> String {
            var result = ""
            var position = line.startIndex
            for range in ranges(in: line).sorted(by: { $0.lowerBound < $1.lowerBound }) where range.lowerBound >= position {
                result += line[position..<range.lowerBound] + Self.mask(String(line[range]))
                position = range.upperBound
            }
            result += line[position...]
            for value in planted where result.contains(value) {
                result = result.replacingOccurrences(of: value, with: Self.mask(value))
            }
            return String(result.prefix(400))
        }
    }

    /// The personal data planted in this run: numbers unlikely to appear by chance, names, complaint text, a PIN.
    struct Planted {
        let phones: [String]
        let spacedPhone = "+86 139 5502 7716"
        let names = ["王小明", "Zhang Weiguo", "Li Meifang"]
        let complaintSummary: String
        let complaintNeed: String
        let escalationSummary: String
        let contactOutcome: String
        let transferNotes: String
        let pin = "918273"

        init(run: String) {
            let seed = Int(run.prefix(6), radix: 16) ?? 123_456
            phones = (0..<8).map { "1\([3, 5, 7, 8, 9][$0 % 5])\(String(format: "%09d", (seed * 7 + $0 * 104_729) % 1_000_000_000))" }
            complaintSummary = "王小明 waited 55 minutes and was told to call back on \(phones[5])"
            complaintNeed = "Zhang Weiguo wants a written apology from the branch head"
            escalationSummary = "Li Meifang reported an unexplained fee on her account, callback \(phones[6])"
            contactOutcome = "spoke with Zhang Weiguo about the pension plan, new number \(phones[7])"
            transferNotes = "Li Meifang prefers calls after 18:00"
        }

        /// Every value that must not reach a log, digits-only variants included.
        var all: [String] {
            phones + [spacedPhone, spacedPhone.filter(\.isNumber), String(spacedPhone.filter(\.isNumber).dropFirst(2))]
                + names + [complaintSummary, complaintNeed, escalationSummary, contactOutcome, transferNotes]
        }
    }

    @Test("H-01 H-03 H-07 a full run at LOG_LEVEL=debug writes no phone number, name, complaint text or PIN to any log")
    func logsCarryNoPersonalData() async throws {
        let scanner = Scanner(planted: ["13812345678"], tokens: ["918273"])
        #expect(scanner.findings(in: "arrival of 13812345678 noted").count == 2, "the scanner must see a planted number")
        #expect(scanner.findings(in: "电话13912345678。").count == 1, "the scanner must see a number in Chinese text")
        #expect(scanner.findings(in: "cardPin: 918273,").count == 1, "the scanner must see a planted PIN")
        #expect(scanner.findings(in: "offset 19182735 at 0.918273 s").isEmpty, "a PIN inside a longer number is not one")
        #expect(
            scanner.findings(in: "id 5f3a13912345678b, t=1763913912345, 139123456789, 138****5678").isEmpty,
            "ids, timestamps, longer numbers and masked numbers are not phone numbers")

        let tlsURL = try Self.verifiedTLSURL()
        var environment: [String: [String: String]] = [:]
        for service in ConciergeStack.serviceNames {
            environment[service] = ["LOG_LEVEL": "debug", "\(service.uppercased())_DATABASE_URL": tlsURL]
        }
        let stack = try await ConciergeStack.start(environment: environment)
        let planted = Planted(run: stack.runID)
        let figures: Figures
        do {
            figures = try await Self.feedAndReconcile(stack, planted: planted)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()

        // Scan every log file of the run.
        let scanner2 = Scanner(planted: planted.all, tokens: [planted.pin])
        var scannedBytes = 0
        var scannedLines = 0
        var debugLines: [String: Int] = [:]
        var offending: [String] = []
        let files = try FileManager.default.contentsOfDirectory(at: stack.logDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "log" }
        for file in files {
            let data = try Data(contentsOf: file)
            scannedBytes += data.count
            let service = file.lastPathComponent.split(separator: "-").first.map(String.init) ?? "?"
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                scannedLines += 1
                if line.contains(" debug ") || line.contains("\"level\":\"debug\"") { debugLines[service, default: 0] += 1 }
                let findings = scanner2.findings(in: line)
                if !findings.isEmpty {
                    offending.append("\(file.lastPathComponent): \(findings.joined(separator: ", ")): \(scanner2.masked(line))")
                }
            }
        }
        print(
            """
            log scan: \(files.count) files, \(scannedLines) lines, \(scannedBytes) bytes scanned for \(planted.all.count) \
            planted values, the PIN and the mobile-number pattern; \(offending.count) offending lines; debug lines by service \
            \(debugLines.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); \
            \(figures.summary)
            """)
        #expect(offending.isEmpty, "personal data in the logs:\n\(offending.prefix(20).joined(separator: "\n"))")
        // The scan must have had something to read: every service wrote a log, at debug level.
        #expect(files.count >= ConciergeStack.serviceNames.count + 1)
        #expect(scannedBytes > 20_000 && scannedLines > 100, "only \(scannedBytes) bytes / \(scannedLines) lines of log")
        for service in ConciergeStack.serviceNames {
            #expect((debugLines[service] ?? 0) > 0, "\(service) wrote no debug line: was LOG_LEVEL=debug applied?")
        }
    }

    /// What the run did, for the printed summary and the assertions.
    struct Figures {
        var eventsSent = 0
        var visits = 0
        var cases = 0
        var tasks = 0
        var deadLetters = 0
        var encryptedSessions = 0
        var summary: String {
            "\(eventsSent) events sent; \(visits) visits, \(cases) complaint cases, \(tasks) walk-in tasks, \(deadLetters) "
                + "dead letters; \(encryptedSessions) service sessions to PostgreSQL, all over TLS"
        }
    }

    /// Publishes the mix, makes the transfer over HTTP, and waits until every effect is there.
    static func feedAndReconcile(_ stack: ConciergeStack, planted: Planted) async throws -> Figures {
        let run = stack.runID
        let branch = "P\(run.prefix(5))"
        let lobby = "LM-\(run)"
        let managers = ["WM1-\(run)", "WM2-\(run)"]
        let marketing = "MM-\(run)"
        let customers = (1...4).map { "C\($0)-\(run)" }
        let now = Timestamp.now(utcOffsetSeconds: 8 * 3600)
        var figures = Figures()

        var reference = [
            TestEvents.staff(lobby, branch: branch, role: .lobbyManager),
            TestEvents.staff(managers[0], branch: branch, role: .wealthManager),
            TestEvents.staff(managers[1], branch: branch, role: .wealthManager),
            TestEvents.staff(marketing, branch: branch, role: .marketingManager),
            TestEvents.staff("BS-\(run)", branch: branch, role: .branchSalesSupervisor),
        ]
        reference += customers.enumerated().map { index, id in
            TestEvents.profile(id, branch: branch, aum: 1_200_000 + Int64(index) * 500_000)
        }
        let directory = reference
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(directory) { _ = try result.get() }
        }
        figures.eventsSent += reference.count
        // Every service's copy of the directory, not one manager's book: the transfer below needs the marketing
        // manager, whose record is on another partition.
        try await stack.waitForDirectoryCopies(holding: [lobby, managers[0], managers[1], marketing, "BS-\(run)"])
        try await EndToEndTests.waitFor("\(stack.url("assignment"))/managers/\(managers[1])/book")
        try await EndToEndTests.waitFor("\(stack.url("intake"))/customers/\(customers.last!)/profile")

        // Walk-ins with contact phones (VIPs by profile, and unknown walk-ins), a teller's signal, a complaint, a
        // call-centre escalation, a contact; then a malformed message and one carrying a PIN.
        var mix: [KafkaOutgoingRecord] = []
        let visits = (0..<5).map { "V\($0)-\(run)" }
        let phones = Array(planted.phones.prefix(4)) + [planted.spacedPhone]
        for (index, visit) in visits.enumerated() {
            mix.append(
                TestEvents.record(
                    VisitArrived.V1(
                        visitId: visit, branchId: branch, arrivedAt: now, customerId: index < 4 ? customers[index] : nil,
                        purpose: .wealthConsultation, recordedBy: lobby, recordedByRole: .lobbyManager,
                        contactPhone: phones[index])))
        }
        let signalID = UUID().uuidString.lowercased()
        mix.append(
            TestEvents.record(
                VisitSignal.V1(
                    visitId: visits[4], branchId: branch, staffId: "TN-\(run)", role: .tellerNonCash, signal: .wealthNeed,
                    at: now),
                id: signalID))
        mix.append(
            TestEvents.record(
                ComplaintLodged.V1(
                    complaintId: "CP-\(run)", branchId: branch, customerId: customers[0], channel: .lobby,
                    category: "waiting_time", summary: planted.complaintSummary, customerNeed: planted.complaintNeed,
                    receivedAt: now, recordedBy: lobby, resolvedOnSpot: false)))
        mix.append(
            TestEvents.record(
                EscalationRaised.V1(
                    caseRef: "CC-\(run)", customerId: customers[1], branchId: branch, category: "fees",
                    severity: .high, summary: planted.escalationSummary, customerNeed: "a refund and a call back",
                    receivedAt: now, agentId: "CC-AGENT-1", firstLineAttempted: true)))
        let contactID = UUID().uuidString.lowercased()
        mix.append(
            TestEvents.record(
                ContactLogged.V1(
                    activityId: "A-\(run)", customerId: customers[2], managerId: managers[0], kind: .call,
                    proactive: true, at: now, outcome: planted.contactOutcome),
                id: contactID))
        mix.append(
            KafkaOutgoingRecord(
                topic: Topics.branchVisits, key: Array("bad-\(run)".utf8),
                value: Array("{\"visitId\": \"bad-\(run)\", \"contactPhone\": \"\(planted.phones[4])\", ".utf8),
                headers: []))
        var withPIN = TestEvents.walkIn("PIN-\(run)", branch: branch, customerID: nil)
        withPIN.value = Array(
            String(decoding: withPIN.value, as: UTF8.self)
                .replacingOccurrences(of: "\"branchId\"", with: "\"cardPin\":\"\(planted.pin)\",\"branchId\"").utf8)
        mix.append(withPIN)
        let records = mix
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            for result in await producer.send(records) { _ = try result.get() }
        }
        figures.eventsSent += mix.count

        // A marketing manager hands a customer over with the contact in the file (sealed at rest, D-08, H-03).
        let transfer: [String: Any] = [
            "transferId": "T-\(run)", "customerId": "C-T-\(run)", "marketingManagerId": marketing,
            "wealthManagerId": managers[1],
            "customerFile": [
                "contact": planted.phones[3], "needs": "education fund", "riskProfile": "balanced",
                "notes": planted.transferNotes,
            ],
        ]
        let transferred = try #require(
            await TestHTTP.post(
                "\(stack.url("assignment"))/transfers", json: transfer,
                token: TestHTTP.token(marketing, role: .manager, branch: branch)))
        #expect(transferred.status == 201, "the transfer was refused: \(transferred.status)")

        // Every effect is there before the services stop.
        let sent = figures
        let reconciled = try await stack.withAdminClient { client in
            try await TestHTTP.eventually(timeout: .seconds(60), interval: .milliseconds(250)) { () -> Figures? in
                var found = sent
                found.visits = try await Self.count(
                    "SELECT count(*) FROM \(stack.schema("intake")).visits WHERE visit_id LIKE 'V%-\(run)' "
                        + "AND contact_phone_ciphertext IS NOT NULL", client)
                let signal = try await Self.count(
                    "SELECT count(*) FROM \(stack.schema("intake")).visit_signals WHERE event_id = '\(signalID)'", client)
                found.cases = try await Self.count(
                    "SELECT count(*) FROM \(stack.schema("complaints")).cases WHERE external_ref IN ('CP-\(run)', 'CC-\(run)')",
                    client)
                found.tasks = try await Self.count(
                    "SELECT count(*) FROM \(stack.schema("engagement")).tasks WHERE visit_id LIKE 'V%-\(run)' "
                        + "AND kind = 'receive_walkin'", client)
                let transfers = try await Self.count(
                    "SELECT count(*) FROM \(stack.schema("assignment")).transfers WHERE transfer_id = 'T-\(run)'", client)
                let contact = try await Self.count(
                    """
                    SELECT (SELECT count(*) FROM \(stack.schema("assignment")).inbox WHERE event_id = '\(contactID)')
                        + (SELECT count(*) FROM \(stack.schema("engagement")).inbox WHERE event_id = '\(contactID)')
                        + (SELECT count(*) FROM \(stack.schema("scoring")).inbox WHERE event_id = '\(contactID)')
                    """, client)
                let done =
                    found.visits == visits.count && signal == 1 && found.cases == 2 && found.tasks >= 4
                    && transfers == 1 && contact == 3
                return done ? found : nil
            }
        }
        var figuresFound = try #require(reconciled, "the run's effects did not all appear within 60 s")
        // Both readers of branch.visits (intake and engagement) dead-letter both bad messages.
        let expectedLetters: Set<String> = ["intake bad-\(run)", "intake PIN-\(run)", "engagement bad-\(run)", "engagement PIN-\(run)"]
        let letters = try await TestKafka.read(
            Topics.deadLetter, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
        ) { records in expectedLetters.isSubset(of: Self.deadLetters(records)) }
        let found = Self.deadLetters(letters).intersection(expectedLetters)
        figuresFound.deadLetters = found.count
        #expect(found == expectedLetters, "the malformed message and the one with a PIN are dead-lettered: \(found)")

        // Every service session of this run to PostgreSQL is encrypted (the services passed sslmode through).
        let sessions = try await stack.withAdminClient { client in
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a
                        JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'concierge-e2e\\_\(run)\\_%'
                        """)
            ).collect()
            return try #require(rows.first).decode((Int, Int).self)
        }
        #expect(sessions.1 >= ConciergeStack.serviceNames.count, "the services' sessions were not found")
        #expect(sessions.0 == sessions.1, "\(sessions.1 - sessions.0) of \(sessions.1) service sessions are not encrypted")
        figuresFound.encryptedSessions = sessions.0
        return figuresFound
    }

    /// `<service> <original key>` of each dead letter among `records`.
    static func deadLetters(_ records: [KafkaRecord]) -> Set<String> {
        Set(
            records.compactMap { record -> String? in
                guard case .deadLetter(let letter)? = (try? EventCatalog.decode(record.value))?.payload else { return nil }
                return "\(letter.service) \(letter.key ?? "-")"
            })
    }

    static func count(_ sql: String, _ client: PostgresClient) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql)).collect()
        return try rows.first?.decode(Int.self) ?? 0
    }

    /// The test database's admin URL with `sslmode=verify-full` and the private cluster's CA.
    static func verifiedTLSURL() throws -> String {
        let url = try #require(TestEnvironment.databaseURL, "no test database: run the tests with make test")
        let root = try #require(
            TestEnvironment.postgresSetting("CONCIERGE_PG_SSL_ROOT_CERT"),
            "no CONCIERGE_PG_SSL_ROOT_CERT: start the cluster with deploy/local/postgres.sh (make test does)")
        var components = try #require(URLComponents(string: url))
        components.percentEncodedQuery = "sslmode=verify-full&sslrootcert=\(root)"
        return try #require(components.string)
    }
}
