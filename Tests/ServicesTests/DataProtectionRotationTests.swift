import Events
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Assignment
@testable import Intake

/// A key rotation of personal data at rest that completes (rulebook H-03): values sealed with the old key are sealed
/// again with the new one by the re-seal job, after which the old key can leave the ring and everything still opens.
@Suite("Personal data key rotation (re-seal job)", .serialized, .timeLimit(.minutes(3)))
struct DataProtectionRotationTests {
    static let k1 = "k1:" + Data(repeating: 0x31, count: 32).base64EncodedString()
    static let k2 = "k2:" + Data(repeating: 0x32, count: 32).base64EncodedString()
    static let k0 = "k0:" + Data(repeating: 0x30, count: 32).base64EncodedString()

    /// The service of `harness` built again on the same schema with another key ring, as after a redeploy.
    func rebuilt<Service: ConciergeService>(_ harness: ServiceHarness<Service>, keys: String) throws -> Service {
        var values = harness.context.environment.values
        values[FieldCipher.keysVariable] = keys
        let configuration = try ServiceConfiguration(
            serviceName: Service.name, defaultHTTPPort: 0, environment: EnvironmentReader(values))
        return try Service(
            context: ServiceContext(
                configuration: configuration, postgres: harness.client, metrics: ServiceMetrics(service: Service.name),
                logger: harness.context.logger))
    }

    /// A distinct mainland mobile number per index.
    static func phone(_ index: Int) -> String { "139\(String(format: "%08d", 10_000_000 + index))" }

    /// A walk-in the card reader identifies as a VIP (B-04), so that it is listed in the register with its phone.
    func arrival(_ visitID: String, phone: String?) -> VisitArrived.V1 {
        VisitArrived.V1(
            visitId: visitID, branchId: "SH001", arrivedAt: .now(utcOffsetSeconds: 8 * 3600), cardTier: "gold",
            purpose: .wealthConsultation, recordedBy: "LM001", recordedByRole: .lobbyManager, contactPhone: phone)
    }

    /// The value of one series (`name{labels}`) in a Prometheus text page.
    static func metric(_ series: String, in page: String) -> Double? {
        page.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Every stored contact phone: visit id → (key id, sealed bytes).
    func storedPhones(_ client: PostgresClient) async throws -> [String: FieldCipher.Sealed] {
        var stored: [String: FieldCipher.Sealed] = [:]
        for try await (visitID, keyID, bytes) in try await client.query(
            "SELECT visit_id, contact_phone_key_id, contact_phone_ciphertext FROM visits WHERE contact_phone_key_id IS NOT NULL"
        ).decode((String, String, ByteBuffer).self) {
            stored[visitID] = .init(keyID: keyID, bytes: Array(buffer: bytes))
        }
        return stored
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    @Test("H-03 intake: phones sealed with k1 are re-sealed with k2 in batches; k1 leaves the ring and all still open")
    func intakeRotationCompletes() async throws {
        try await ServiceHarness<IntakeService>.run(environment: [FieldCipher.keysVariable: Self.k1]) { harness in
            let phones = Dictionary(uniqueKeysWithValues: (1...23).map { ("V-ROT-\($0)", Self.phone($0)) })
            for (visitID, phone) in phones.sorted(by: { $0.key < $1.key }) {
                try await harness.deliver(arrival(visitID, phone: phone))
            }
            try await harness.deliver(arrival("V-ROT-NONE", phone: nil))
            let before = try await storedPhones(harness.client)
            #expect(before.count == phones.count)
            #expect(before.values.allSatisfy { $0.keyID == "k1" })

            // 1. Deploy with k2 first in the ring (the active key) and k1 still listed: new values use k2 at once…
            let rotated = try rebuilt(harness, keys: "\(Self.k2),\(Self.k1)")
            #expect(rotated.cipher.activeKeyID == "k2")
            // 2. …and the job re-seals the old ones, 5 rows per transaction.
            let resealer = rotated.personalDataResealer()
            let report = try #require(try await resealer.round(batchSize: 5).first)
            #expect(report.column == "visits.contact_phone_ciphertext")
            #expect(report.resealed == ["k1": phones.count])
            #expect(report.unopenable.isEmpty)
            #expect(report.remaining == ["k2": phones.count])
            #expect(report.isComplete(activeKeyID: "k2"))
            let page = String(decoding: rotated.context.metrics.render(), as: UTF8.self)
            let labels = #"service="intake",column="visits.contact_phone_ciphertext""#
            #expect(Self.metric(#"concierge_pii_sealed_values{\#(labels),key_id="k1"}"#, in: page) == 0)
            #expect(Self.metric(#"concierge_pii_sealed_values{\#(labels),key_id="k2"}"#, in: page) == 23)
            #expect(Self.metric(#"concierge_pii_resealed_total{\#(labels),from_key_id="k1"}"#, in: page) == 23)
            // A second round finds nothing to do.
            let again = try #require(try await resealer.round(batchSize: 5).first)
            #expect(again.resealed.isEmpty && again.remaining == ["k2": phones.count])

            // Every row is now under k2, with new bytes, and none holds the number in clear.
            let after = try await storedPhones(harness.client)
            #expect(after.count == phones.count)
            for (visitID, sealed) in after {
                #expect(sealed.keyID == "k2", "\(visitID)")
                #expect(sealed.bytes != before[visitID]?.bytes, "\(visitID) was not sealed again")
                #expect(!Self.contains(sealed.bytes, phones[visitID]!), "\(visitID) stored in clear")
            }

            // 3. Deploy with k1 removed: every phone still opens (and shows masked in the register)…
            let retired = try rebuilt(harness, keys: Self.k2)
            for (visitID, sealed) in after {
                #expect(try retired.cipher.open(sealed, context: IntakeService.phoneContext(visitID)) == phones[visitID])
            }
            let register = try await retired.register(
                branchID: "SH001", date: harness.calendar.businessDate(of: .now(utcOffsetSeconds: 8 * 3600)))
            let listed = register.identifications.filter { phones[$0.visitId] != nil }
            #expect(listed.count == phones.count)
            for entry in listed {
                #expect(entry.contactPhone == PersonalData.masked(phones[entry.visitId]!), "\(entry.visitId)")
            }
            // …while the old ring alone opens none of them any more: they really moved to k2.
            let old = try rebuilt(harness, keys: Self.k1)
            for (visitID, sealed) in after {
                #expect(throws: FieldCipher.OpenError.self) {
                    try old.cipher.open(sealed, context: IntakeService.phoneContext(visitID))
                }
            }
        }
    }

    @Test("H-03 values whose key already left the ring are counted and left as they are; the round still ends")
    func unopenableValuesAreLeft() async throws {
        try await ServiceHarness<IntakeService>.run(environment: [FieldCipher.keysVariable: Self.k0]) { harness in
            for index in 1...4 { try await harness.deliver(arrival("V-LOST-\(index)", phone: Self.phone(100 + index))) }
            let withK1 = try rebuilt(harness, keys: Self.k1)
            for index in 5...7 {
                try await HandlerTransaction.run(
                    try EventCatalog.decode(
                        Envelope(id: "e-\(index)", source: "test", data: arrival("V-LOST-\(index)", phone: Self.phone(100 + index)))
                            .encode()),
                    handler: withK1, client: harness.client, serviceName: IntakeService.name, calendar: harness.calendar,
                    source: RecordSource(topic: Topics.branchVisits, partition: 0, offset: 0), logger: harness.context.logger)
            }
            // k0 was retired too early: its four values cannot be opened, the three under k1 are re-sealed.
            let report = try #require(
                try await rebuilt(harness, keys: "\(Self.k2),\(Self.k1)").personalDataResealer().round(batchSize: 2).first)
            #expect(report.resealed == ["k1": 3])
            #expect(report.unopenable == ["k0": 4])
            #expect(report.remaining == ["k0": 4, "k2": 3])
            #expect(!report.isComplete(activeKeyID: "k2"))
            let stored = try await storedPhones(harness.client)
            #expect(stored.values.filter { $0.keyID == "k0" }.count == 4)
        }
    }

    @Test("H-03 two instances re-sealing at once (SKIP LOCKED) re-seal each value exactly once")
    func concurrentInstances() async throws {
        try await ServiceHarness<IntakeService>.run(environment: [FieldCipher.keysVariable: Self.k1]) { harness in
            let count = 120
            for index in 1...count { try await harness.deliver(arrival("V-PAR-\(index)", phone: Self.phone(1_000 + index))) }
            let first = try rebuilt(harness, keys: "\(Self.k2),\(Self.k1)").personalDataResealer()
            let second = try rebuilt(harness, keys: "\(Self.k2),\(Self.k1)").personalDataResealer()
            async let a = first.round(batchSize: 7)
            async let b = second.round(batchSize: 7)
            let reports = try await a + b
            #expect(reports.map { $0.resealed["k1"] ?? 0 }.reduce(0, +) == count)
            let stored = try await storedPhones(harness.client)
            #expect(stored.count == count)
            #expect(stored.values.allSatisfy { $0.keyID == "k2" })
        }
    }

    @Test("H-03 assignment: customer-file contacts sealed with k1 are re-sealed with k2 and open without k1")
    func assignmentRotationCompletes() async throws {
        try await ServiceHarness<AssignmentService>.run(environment: [FieldCipher.keysVariable: Self.k1]) { harness in
            let contacts = Dictionary(uniqueKeysWithValues: (1...6).map { ("T-ROT-\($0)", Self.phone(500 + $0)) })
            // Stored the way a transfer stores them (sealed with the active key, bound to the transfer id).
            for (transferID, contact) in contacts {
                let sealed = try harness.service.cipher.seal(contact, context: AssignmentService.contactContext(transferID))
                try await harness.client.query(
                    """
                    INSERT INTO transfers (transfer_id, customer_id, marketing_manager_id, wealth_manager_id,
                        contact_key_id, contact_sealed, needs, risk_profile, notes, transferred_at)
                    VALUES (\(transferID), 'C-\(transferID)', 'MM001', 'WM001', \(sealed.keyID),
                        \(ByteBuffer(bytes: sealed.bytes)), 'needs', 'C3', 'notes', now())
                    """)
            }
            let rotated = try rebuilt(harness, keys: "\(Self.k2),\(Self.k1)")
            let report = try #require(try await rotated.personalDataResealer().round(batchSize: 4).first)
            #expect(report.column == "transfers.contact_sealed")
            #expect(report.resealed == ["k1": contacts.count])
            #expect(report.remaining == ["k2": contacts.count])

            let retired = try rebuilt(harness, keys: Self.k2)
            var opened = 0
            for try await (transferID, keyID, bytes) in try await harness.client.query(
                "SELECT transfer_id, contact_key_id, contact_sealed FROM transfers"
            ).decode((String, String, ByteBuffer).self) {
                let sealed = FieldCipher.Sealed(keyID: keyID, bytes: Array(buffer: bytes))
                #expect(keyID == "k2")
                #expect(!Self.contains(sealed.bytes, contacts[transferID]!))
                #expect(
                    try retired.cipher.open(sealed, context: AssignmentService.contactContext(transferID))
                        == contacts[transferID])
                opened += 1
            }
            #expect(opened == contacts.count)
        }
    }

    @Test("H-03 the re-seal settings: defaults, bounds, and an error that names the variable and stops the service")
    func settings() throws {
        // Intake and assignment refuse to start with a bad value (not only their job, whose error would surface late).
        func context(_ name: String) throws -> ServiceContext {
            let values = [
                "DATABASE_URL": "postgres://\(name)@127.0.0.1/concierge", FieldCipher.keysVariable: Self.k1,
                "AUTH_JWT_KEYS": TestEnvironment.authKeys, FieldResealer.Settings.batchSizeVariable: "0",
            ]
            let configuration = try ServiceConfiguration(
                serviceName: name, defaultHTTPPort: 0, environment: EnvironmentReader(values))
            return ServiceContext(
                configuration: configuration,
                postgres: PostgresClient(configuration: try configuration.database.makeClientConfiguration()),
                metrics: ServiceMetrics(service: name), logger: Logger(label: "test.\(name)"))
        }
        #expect(throws: ConfigurationError.self) { try IntakeService(context: try context(IntakeService.name)) }
        #expect(throws: ConfigurationError.self) { try AssignmentService(context: try context(AssignmentService.name)) }

        #expect(try FieldResealer.Settings(environment: EnvironmentReader([:])) == .init(interval: .seconds(300), batchSize: 200))
        let custom = try FieldResealer.Settings(
            environment: EnvironmentReader(["PII_RESEAL_INTERVAL_MS": "60000", "PII_RESEAL_BATCH_SIZE": "50"]))
        #expect(custom == .init(interval: .seconds(60), batchSize: 50))
        for (key, value) in [("PII_RESEAL_INTERVAL_MS", "10"), ("PII_RESEAL_BATCH_SIZE", "0"), ("PII_RESEAL_BATCH_SIZE", "x")] {
            #expect(throws: ConfigurationError.self) { try FieldResealer.Settings(environment: EnvironmentReader([key: value])) }
            do {
                _ = try FieldResealer.Settings(environment: EnvironmentReader([key: value]))
            } catch {
                #expect(error.key == key)
            }
        }
    }
}
