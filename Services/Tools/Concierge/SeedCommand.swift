import ArgumentParser
import Foundation
import Logging
import Messaging

/// `concierge seed demo`: a branch roster, customer profiles and a morning of walk-ins.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Publish demo data.",
        subcommands: [Demo.self]
    )

    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A branch roster, customer profiles and a morning of walk-ins, so the whole flow shows at once.",
            discussion: """
                Publishes the roster (staff.directory) and profiles (customer.profiles) first and waits until
                assignment and intake know them ($ASSIGNMENT_URL, $INTAKE_URL from .concierge/dev.env), then the
                walk-ins (branch.visits) and two complaints. Then try:
                  TOKEN=$(concierge token --role operations --staff OPS1)
                  curl -H "Authorization: Bearer $TOKEN" "$ENGAGEMENT_URL/managers/WM00101/agenda"
                  curl -H "Authorization: Bearer $TOKEN" "$SCORING_URL/branches/SH001/daily"
                """
        )

        @OptionGroup var kafka: KafkaOptions

        @Option(help: "Branch id.")
        var branch = "SH001"

        @Option(help: "Number of walk-ins.")
        var walkIns = 20

        @Option(help: "Random seed, so a demo can be repeated (customer ids stay the same; event ids are new).")
        var seed: UInt64 = 42

        @Option(help: "Seconds to wait for the services to know the roster and profiles.")
        var wait: Double = 60

        func run() async throws {
            var logger = Logger(label: "concierge.seed")
            logger.logLevel = .warning
            let environment = ProcessInfo.processInfo.environment
            let data = DemoData(branch: branch, walkIns: walkIns, seed: seed, now: Date())
            let kafkaConfiguration = try kafka.configuration()

            let reference = EventInput.records(for: data.roster + data.profiles, fill: true)
            guard reference.failures.isEmpty else { throw ValidationError(reference.failures.joined(separator: "\n")) }
            try await publishRecords(
                reference.records, descriptions: reference.descriptions, kafka: kafkaConfiguration, logger: logger,
                verbose: false)
            print("published \(data.roster.count) staff records and \(data.profiles.count) customer profiles")

            if let assignment = environment["ASSIGNMENT_URL"], let intake = environment["INTAKE_URL"] {
                let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1000))
                try await HTTPProbe.waitForOK("\(assignment)/managers/\(data.lastManager)/book", until: deadline)
                try await HTTPProbe.waitForOK("\(intake)/customers/\(data.lastCustomer)/profile", until: deadline)
            } else {
                print("ASSIGNMENT_URL / INTAKE_URL not set: waiting 5 s for the services to read the roster")
                try await Task.sleep(for: .seconds(5))
            }

            let visits = EventInput.records(for: data.visits + data.complaints, fill: true)
            guard visits.failures.isEmpty else { throw ValidationError(visits.failures.joined(separator: "\n")) }
            try await publishRecords(
                visits.records, descriptions: visits.descriptions, kafka: kafkaConfiguration, logger: logger,
                verbose: false)
            let arrivals = data.visits.filter { $0["type"] as? String == "bank.branch.visit-arrived.v1" }.count
            print(
                "published \(arrivals) walk-ins, \(data.visits.count - arrivals) teller signals and "
                    + "\(data.complaints.count) complaints at \(branch)")
            print("wealth managers: \(data.managers.joined(separator: ", "))")
            if let engagement = environment["ENGAGEMENT_URL"] {
                print("agenda:  curl -s -H \"Authorization: Bearer $TOKEN\" \(engagement)/managers/\(data.managers[0])/agenda")
            }
            if let scoring = environment["SCORING_URL"] {
                print("lobby:   curl -s -H \"Authorization: Bearer $TOKEN\" \(scoring)/branches/\(branch)/daily")
            }
        }
    }
}
