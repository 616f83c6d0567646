import Events
import Foundation
import Messaging
import PostgresNIO
import TestSupport
import Testing

/// The hostile-input fuzzer against the real executables: a few hundred bad messages published to the development
/// broker, interleaved with good walk-ins; the five processes stay up and ready, every bad message reaches
/// `concierge.deadletter` once from every service that reads its topic (an 800,000-byte one too, its value cut to
/// fit Kafka's message limit), and every walk-in is recorded.
@Suite("Hostile input across processes", .serialized, .timeLimit(.minutes(5)))
struct FuzzStackTests {
    static let hostile = 300
    static let walkInEvery = 15

    /// Who reads what (each service's `consumedTopics`; this target does not link the service libraries).
    static let readers: [String: [String]] = [
        Topics.branchVisits: ["intake", "engagement"],
        Topics.branchComplaints: ["complaints"],
        Topics.callcentreEscalations: ["complaints"],
        Topics.customerProfiles: ["intake", "assignment", "engagement", "scoring"],
        Topics.staffDirectory: ["assignment", "engagement", "complaints", "scoring"],
        Topics.crmActivities: ["assignment", "engagement", "scoring"],
        Topics.assignmentEvents: ["intake", "engagement", "complaints", "scoring"],
    ]

    @Test("H-07 contract §1.1 300 hostile messages to the five executables: all dead-lettered, no crash, walk-ins processed")
    func hostileMessagesAcrossProcesses() async throws {
        let generator = FuzzGenerator(
            seed: 20_261_123, service: "stack", topics: Array(Self.readers.keys).sorted(),
            fixtures: try FuzzFixtures.load(), witness: nil)
        // Inputs that must be dead-lettered whatever the service, small enough for the producer (1,000,000 bytes).
        var inputs: [FuzzInput] = []
        var index = 0
        while inputs.count < Self.hostile {
            let input = generator.input(index)
            index += 1
            guard input.expectation != .any, input.value.count < 700_000 else { continue }
            inputs.append(input)
        }

        let stack = try await ConciergeStack.start()
        do {
            let run = stack.runID
            // The records in publishing order, each with its hostile input (nil for a walk-in).
            var records: [(record: KafkaOutgoingRecord, input: FuzzInput?)] = []
            var walkIns: [String] = []
            for (position, input) in inputs.enumerated() {
                records.append((KafkaOutgoingRecord(topic: input.topic, key: input.key, value: input.value, headers: []), input))
                if position % Self.walkInEvery == 0 {
                    let visit = "V\(run)-fz\(position)"
                    walkIns.append(visit)
                    records.append((TestEvents.walkIn(visit, branch: "FZ\(run.prefix(4))", customerID: nil), nil))
                }
            }
            // One message too large to travel whole inside a dead letter (base64 adds a third; Kafka's limit is
            // 1,000,000 bytes): its dead letter keeps a prefix, and must still reach the topic.
            let big = KafkaOutgoingRecord(
                topic: Topics.branchComplaints, key: Array("fz-big-\(run)".utf8),
                value: [UInt8](repeating: UInt8(ascii: "x"), count: 800_000), headers: [])
            let outgoing = records.map(\.record) + [big]
            let reports = try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
                try await producer.send(outgoing).map { try $0.get() }
            }
            // Every (service, topic/partition/offset) that must come back as a dead letter, with its input.
            var expected: [String: FuzzInput] = [:]
            for ((_, input), report) in zip(records, reports) {
                guard let input else { continue }
                for service in Self.readers[report.topic]! {
                    expected["\(service) \(report.topic)/\(report.partition)/\(report.offset)"] = input
                }
            }

            let bigReport = reports.last!
            let bigName = "complaints \(bigReport.topic)/\(bigReport.partition)/\(bigReport.offset)"

            let generous = EventDecodingLimits(maximumMessageBytes: 8 << 20)
            let letters = try await TestKafka.read(
                Topics.deadLetter, configuration: stack.kafkaConfiguration, timeout: .seconds(90)
            ) { records in
                Set(records.compactMap { Self.letter($0, limits: generous).map(Self.name) })
                    .isSuperset(of: Set(expected.keys).union([bigName]))
            }.compactMap { Self.letter($0, limits: generous) }

            var seen: [String: Int] = [:]
            for letter in letters { seen[Self.name(letter), default: 0] += 1 }
            let missing = Set(expected.keys).subtracting(seen.keys)
            #expect(missing.isEmpty, "not dead-lettered: \(missing.sorted().prefix(10).map { "\($0) \(expected[$0]!.detail)" })")
            #expect(seen.filter { expected[$0.key] != nil && $0.value > 1 }.isEmpty, "dead-lettered twice")
            for letter in letters {
                guard let input = expected[Self.name(letter)] else { continue }
                #expect(!letter.error.isEmpty, "no reason for \(input.detail)")
                let original = letter.originalValue ?? []
                if let secret = input.secret {
                    #expect(!String(decoding: original, as: UTF8.self).contains(secret), "a credential reached the topic")
                } else {
                    #expect(original == input.value, "dead letter of \(input.detail) lost the original bytes")
                }
            }

            let bigLetter = letters.first { Self.name($0) == bigName }
            #expect(bigLetter != nil, "the dead letter of an 800,000-byte message never reached the topic")
            if let bigLetter, let kept = bigLetter.originalValue {
                #expect(kept.count < big.value.count && big.value.starts(with: kept) && bigLetter.error.contains("keeps the first"))
            }

            // No crash: every process is up and ready; and the good walk-ins between the bad messages were recorded.
            for service in ConciergeStack.serviceNames {
                #expect(stack.process(service)?.isRunning == true, "\(service) is not running")
                let ready = await TestHTTP.get("\(stack.url(service))/health/ready")?.status
                #expect(ready == 200, "\(service) not ready")
            }
            let intake = stack.schema("intake")
            let walkInCount = walkIns.count
            let recorded = try await stack.withAdminClient { client in
                await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(250)) { () -> Int? in
                    let rows = try? await client.query(
                        PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(intake).visits WHERE visit_id LIKE 'V\(run)-fz%'")
                    ).collect()
                    let count = (try? rows?.first?.decode(Int.self)) ?? 0
                    return count == walkInCount ? count : nil
                }
            }
            #expect(recorded == walkIns.count, "walk-ins recorded between the hostile messages")
            print(
                "fuzz across processes: \(inputs.count) hostile messages on \(Set(inputs.map(\.topic)).count) topics, "
                    + "\(walkIns.count) walk-ins; \(expected.count) dead letters expected, "
                    + "\(Set(seen.keys).intersection(expected.keys).count) found; 5 of 5 processes up and ready")
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    /// The dead letter in a record of `concierge.deadletter`, if it is one.
    static func letter(_ record: KafkaRecord, limits: EventDecodingLimits) -> DeadLetter.V1? {
        guard case .deadLetter(let letter)? = (try? EventCatalog.decode(record.value, limits: limits))?.payload else {
            return nil
        }
        return letter
    }

    /// `<service> <topic>/<partition>/<offset>`.
    static func name(_ letter: DeadLetter.V1) -> String {
        "\(letter.service) \(letter.originalTopic)/\(letter.partition)/\(letter.offset)"
    }
}
