import ArgumentParser
import Events
import Foundation
import Logging
import Messaging

/// `concierge simulate`: a realistic bank day over many branches, at a target rate or flat out.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a bank day: roster and profiles, then walk-ins, signals, complaints and CRM activity.",
        discussion: """
            First the roster (staff.directory) and one profile per customer (customer.profiles) are published, and \
            simulate waits until intake and assignment know them ($INTAKE_URL, $ASSIGNMENT_URL; --no-wait skips \
            that, --skip-reference skips both when an earlier run with the same --seed and bank published them). \
            Then the day: walk-ins with a morning peak (09:00–11:00 takes about half the day, a smaller bump at \
            lunchtime), and for each, now and then, a teller's signal, a manager serving the customer or the \
            departure, and a complaint; call-centre escalations, contacts, sales and appointments run all day.

            Pacing: --walkins-per-second R (default 100) or --rate R (all events) sends at a constant rate by the \
            wall clock; --day-length S compresses each bank day into S seconds so the rate follows the day; --max \
            sends as fast as the producer takes them. It stops at --duration, --days (default 1) or --walkins, or \
            on Ctrl-C, waiting for what is in flight (a visit's later events not yet due then are not sent).

            Visit ids are V<run-id>-<branch>-<n> (find a run's tasks with visit_id LIKE 'V<run-id>-%'); every id \
            carries the run id, and the same --seed with the same --run-id repeats a run exactly. A progress line \
            goes to standard error each second; --json-summary prints one JSON object at the end. --dry-run builds \
            and checks every event without Kafka (with --dump FILE writing "topic key value" lines).

            Examples:
              concierge simulate --branches 10 --walkins-per-second 200 --duration 30
              concierge simulate --day-length 120 --walkins-per-second 50
              concierge simulate --max --duration 20 --skip-reference --json-summary
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup(title: "Bank") var bank: SimulationBankOptions
    @OptionGroup(title: "Event mix (per walk-in)") var mix: SimulationMixOptions
    @OptionGroup(title: "Pacing") var pacing: SimulationPaceOptions

    @Option(help: "Random seed: the same seed gives the same bank and the same day.")
    var seed: UInt64 = 42

    @Option(help: "Run id, 1–16 letters and digits, in every visit, complaint, case and event id (default: random).")
    var runId: String?

    @Option(help: "Event times: now (when each event is sent) or day (the simulated time of day on --date).")
    var timestamps: SimulationTimestamps = .now

    @Option(
        help:
            "The first simulated business date, YYYY-MM-DD (default: today in BUSINESS_TIME_ZONE, else Asia/Shanghai).")
    var date: String?

    @Flag(help: "Do not publish the roster and profiles (an earlier run with the same seed and bank did).")
    var skipReference = false

    @Flag(help: "Do not wait for the services to know the roster and profiles.")
    var noWait = false

    @Option(help: "Seconds to wait for the services to know the roster and profiles.")
    var wait: Double = 300

    @Flag(help: "Build and check every event, publish nothing.")
    var dryRun = false

    @Option(help: "With --dry-run: write each record as a line \"topic key value\" to this file.")
    var dump: String?

    @Flag(help: "Print a JSON summary on standard output at the end.")
    var jsonSummary = false

    @Option(
        help: """
            Paced runs send a visit's signal, service, departure and complaint at least this many seconds after \
            its arrival, so the services have routed the visit first (a compressed day would otherwise send them \
            milliseconds later); 0 keeps the compressed simulated times.
            """)
    var followOnDelay: Double = 2

    @Option(help: "Events per send.")
    var batchSize = 500

    @Option(help: "Records in flight (sent, no delivery report yet) before sending waits.")
    var maxInFlight = 20_000

    func validate() throws {
        if let runId,
            !(1...16).contains(runId.count) || !runId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        {
            throw ValidationError("--run-id must be 1 to 16 letters and digits")
        }
        if let date, (try? BusinessDate(parsing: date)) == nil {
            throw ValidationError("--date must be a date such as 2026-11-23")
        }
        if dump != nil && !dryRun { throw ValidationError("--dump needs --dry-run") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 10,000") }
        guard maxInFlight >= batchSize else { throw ValidationError("--max-in-flight must be at least --batch-size") }
        guard wait >= 0 else { throw ValidationError("--wait must not be negative") }
        guard followOnDelay >= 0, followOnDelay.isFinite else {
            throw ValidationError("--follow-on-delay must not be negative")
        }
    }

    func run() async throws {
        let plan = try makePlan()
        var random = SplitMix64(seed: plan.settings.seed)
        let population = SimulationPopulation(settings: plan.settings, random: &random)
        let simulation = SimulationRun(plan: plan, population: population)
        describe(plan)

        let summary: SimulationSummary
        if dryRun {
            summary = try simulation.dryRun(dump: dump)
        } else {
            var logger = Logger(label: "concierge.simulate")
            logger.logLevel = .warning
            let lastManager = population.branches.last!.wealthManagers.last!
            // The last profiles published, spread over the partitions: when intake knows all of them, it has read
            // the rest.
            let lastCustomers = population.customers.suffix(12).map(\.id)
            let (noWait, wait) = (self.noWait, self.wait)
            summary = try await simulation.publish(
                configuration: kafka.configuration(),
                waitForServices: { isStopped in
                    guard !noWait else { return }
                    try await Self.waitForServices(
                        manager: lastManager, customers: lastCustomers, seconds: wait, isStopped: isStopped)
                }, logger: logger)
        }
        if jsonSummary { printLine(try summary.json()) }
        let failures = summary.failures + (summary.reference?.failures ?? 0)
        printError(
            "simulate: \(summary.events) events (\(summary.walkIns) walk-ins) in "
                + "\(format(summary.seconds, decimals: 1)) s: \(format(summary.achievedRate)) events/s, "
                + "\(format(summary.achievedWalkInRate)) walk-ins/s; \(failures) failures; "
                + "stopped by \(summary.stoppedBy)")
        if failures > 0 { throw ExitCode(1) }
    }

    /// The settings and pace the options ask for.
    func makePlan() throws -> SimulationPlan {
        let environment = ProcessInfo.processInfo.environment
        let zoneName = environment["BUSINESS_TIME_ZONE"] ?? "Asia/Shanghai"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ValidationError("BUSINESS_TIME_ZONE \(zoneName) is not a time zone")
        }
        let offset = Int32(zone.secondsFromGMT())
        let startDate =
            try date.map { try BusinessDate(parsing: $0) }
            ?? BusinessDate(localDateOf: .now(utcOffsetSeconds: offset))
        let runID = runId ?? String((0..<6).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement()! })
        var settings = SimulationSettings(runID: runID, seed: seed, startDate: startDate, utcOffsetSeconds: offset)
        settings.branches = bank.branches
        settings.managersPerBranch = bank.managersPerBranch
        settings.customersPerBranch = bank.customersPerBranch
        settings.walkInsPerBranchDay = bank.walkinsPerBranchDay
        settings.medianAssets = bank.medianAssets
        settings.assetSigma = bank.assetSigma
        settings.cardHolderShare = bank.cardHolderShare
        settings.knownCustomerShare = mix.knownCustomerShare
        settings.signalShare = mix.signalShare
        settings.servedShare = mix.servedShare
        settings.leftShare = mix.leftShare
        settings.complaintShare = mix.complaintShare
        settings.escalationShare = mix.escalationShare
        settings.contactShare = mix.contactShare
        settings.saleShare = mix.saleShare
        settings.appointmentShare = mix.appointmentShare

        let eventsPerWalkIn = Self.eventsPerWalkIn(settings)
        let pace: SimulationPace
        if let length = pacing.dayLength {
            pace = .dayLength(seconds: length)
            // With a rate, the day holds as many walk-ins as that rate sends in --day-length seconds.
            let walkInRate = pacing.walkinsPerSecond ?? pacing.rate.map { $0 / eventsPerWalkIn }
            if let walkInRate { settings.walkInsPerBranchDay = walkInRate * length / Double(settings.branches) }
        } else if pacing.max {
            pace = .max
        } else if let rate = pacing.rate {
            pace = .events(perSecond: rate)
        } else {
            pace = .walkIns(perSecond: pacing.walkinsPerSecond ?? 100)
        }
        var limits = SimulationLimits(duration: pacing.duration, days: pacing.days, walkIns: pacing.walkins)
        if limits.duration == nil && limits.days == nil && limits.walkIns == nil { limits.days = 1 }
        return SimulationPlan(
            settings: settings, pace: pace, limits: limits, timestamps: timestamps, isDryRun: dryRun,
            includeReference: !skipReference, batchSize: batchSize, maxInFlight: maxInFlight, followOnDelay: followOnDelay,
            eventsPerWalkIn: eventsPerWalkIn)
    }

    /// The mix's mean events per walk-in, measured on a small bank with the same mix (a few milliseconds).
    static func eventsPerWalkIn(_ settings: SimulationSettings) -> Double {
        var sample = settings
        sample.branches = min(settings.branches, 3)
        sample.customersPerBranch = min(settings.customersPerBranch, 2_000)
        var random = SplitMix64(seed: settings.seed)
        var generator = SimulationGenerator(
            settings: sample, population: SimulationPopulation(settings: sample, random: &random))
        var (events, walkIns) = (0, 0)
        while walkIns < 5_000 {
            if generator.next().event.kind == .walkIns { walkIns += 1 }
            events += 1
        }
        return Double(events) / Double(walkIns)
    }

    private func describe(_ plan: SimulationPlan) {
        let settings = plan.settings
        let pace: String
        switch plan.pace {
        case .max: pace = "as fast as possible"
        case .events(let perSecond): pace = "\(format(perSecond)) events/s"
        case .walkIns(let perSecond): pace = "\(format(perSecond)) walk-ins/s"
        case .dayLength(let length):
            pace = "a bank day in \(format(length, decimals: 1)) s (\(format(settings.walkInsPerDay)) walk-ins a day)"
        }
        var limits: [String] = []
        if let duration = plan.limits.duration { limits.append("\(format(duration, decimals: 1)) s") }
        if let days = plan.limits.days { limits.append("\(days) day\(days == 1 ? "" : "s")") }
        if let walkIns = plan.limits.walkIns { limits.append("\(walkIns) walk-ins") }
        printError(
            "simulate: run \(settings.runID)\(plan.isDryRun ? " (dry run)" : ""): \(settings.branches) branches, "
                + "\(settings.branches * settings.customersPerBranch) customers, \(pace), until "
                + limits.joined(separator: " or ") + "; visits \(settings.visitIDPrefix)…, "
                + "\(format(plan.eventsPerWalkIn, decimals: 2)) events per walk-in")
    }

    /// Polls intake and assignment until they know the last manager and the last profiles published, or until
    /// `isStopped` (SIGINT or SIGTERM).
    static func waitForServices(
        manager: String, customers: [String], seconds: Double, isStopped: @Sendable () -> Bool
    ) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let assignment = environment["ASSIGNMENT_URL"], let intake = environment["INTAKE_URL"] else {
            SimulationRun.report("ASSIGNMENT_URL / INTAKE_URL not set: waiting 5 s for the services to read the roster")
            try await Task.sleep(for: .seconds(5))
            return
        }
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int(seconds * 1000))
        var waiting = ["\(assignment)/managers/\(manager)/book"] + customers.map { "\(intake)/customers/\($0)/profile" }
        while let url = waiting.first, !isStopped() {
            if await HTTPProbe.status(url) == 200 {
                waiting.removeFirst()
                continue
            }
            guard ContinuousClock.now < deadline else {
                throw SimulationError(
                    description: "timed out waiting for \(url); the services are still reading the roster and "
                        + "profiles: once they have, run again with --skip-reference (and the same --seed), or give a "
                        + "longer --wait")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let waited = format((ContinuousClock.now - started).inSeconds, decimals: 1)
        SimulationRun.report("intake and assignment know the roster and profiles (waited \(waited) s)")
    }
}
