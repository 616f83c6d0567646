import Events
import Foundation

// MARK: - SimulationSummary

/// What `--json-summary` prints: one JSON object on standard output. The top-level counts are the day's events
/// (walk-ins onwards); the roster and profiles published before it are under `reference`.
struct SimulationSummary: Encodable {
    struct Phase: Encodable {
        var events: Int
        var eventsByKind: [String: Int]
        /// From the first send to the last one handed to the producer.
        var seconds: Double
        /// From the last send until every delivery report was in.
        var drainSeconds: Double
        /// Delivery reports without error (in a dry run: events built and checked).
        var delivered: Int
        var failures: Int
        var errors: [String: Int]

        init(_ snapshot: SimulationTally.Snapshot, seconds: Double, drainSeconds: Double) {
            events = snapshot.sent
            eventsByKind = Dictionary(uniqueKeysWithValues: snapshot.sentByKind.map { ($0.key.rawValue, $0.value) })
            self.seconds = SimulationSummary.rounded(seconds, decimals: 3)
            self.drainSeconds = SimulationSummary.rounded(drainSeconds, decimals: 3)
            delivered = snapshot.delivered
            failures = snapshot.failed
            errors = snapshot.errors
        }
    }

    var runId: String
    var seed: UInt64
    var dryRun: Bool
    var timestamps: SimulationTimestamps
    var pace: String
    var targetRate: Double?
    var targetWalkInRate: Double?
    var dayLength: Double?
    var branches: Int
    var managersPerBranch: Int
    var customersPerBranch: Int
    var walkInsPerDay: Double
    /// `visit_id LIKE '<prefix>%'` finds this run's visits.
    var visitIdPrefix: String
    /// Customers by the tier of their assets (B-03): `none` below the VIP line, `A`, `B`, `C`.
    var profilesByTier: [String: Int]
    var reference: Phase?

    var events: Int
    var eventsByKind: [String: Int]
    var seconds: Double
    var drainSeconds: Double
    var achievedRate: Double
    var walkIns: Int
    var achievedWalkInRate: Double
    var delivered: Int
    var failures: Int
    var errors: [String: Int]
    /// `duration`, `days`, `walkins` or `signal`.
    var stoppedBy: String
    var simulatedDays: Int
    /// Walk-ins by simulated hour of day, `"09"` for 09:00–09:59.
    var walkInsByHour: [String: Int]
    /// Mean events per walk-in of this mix (from a calibration run of the generator).
    var eventsPerWalkIn: Double

    init(
        plan: SimulationPlan, population: SimulationPopulation, reference: Phase?, day: Phase,
        schedule: SimulationSchedule, stoppedBy: String
    ) {
        let settings = plan.settings
        runId = settings.runID
        seed = settings.seed
        dryRun = plan.isDryRun
        timestamps = plan.timestamps
        pace = plan.pace.name
        switch plan.pace {
        case .events(let perSecond): targetRate = perSecond
        case .walkIns(let perSecond): targetWalkInRate = perSecond
        case .dayLength(let length): targetWalkInRate = Self.rounded(settings.walkInsPerDay / length)
        case .max: break
        }
        if case .dayLength(let length) = plan.pace { dayLength = length }
        branches = settings.branches
        managersPerBranch = settings.managersPerBranch
        customersPerBranch = settings.customersPerBranch
        walkInsPerDay = settings.walkInsPerDay
        visitIdPrefix = settings.visitIDPrefix
        var tiers = ["none": 0, "A": 0, "B": 0, "C": 0]
        for customer in population.customers {
            tiers[SimulationSettings.tier(of: customer.assets)?.rawValue ?? "none", default: 0] += 1
        }
        profilesByTier = tiers
        self.reference = reference

        events = day.events
        eventsByKind = day.eventsByKind
        seconds = Self.rounded(day.seconds, decimals: 3)
        drainSeconds = Self.rounded(day.drainSeconds, decimals: 3)
        walkIns = day.eventsByKind[SimulationKind.walkIns.rawValue] ?? 0
        achievedRate = day.seconds > 0 ? Self.rounded(Double(events) / day.seconds) : 0
        achievedWalkInRate = day.seconds > 0 ? Self.rounded(Double(walkIns) / day.seconds) : 0
        delivered = day.delivered
        failures = day.failures
        errors = day.errors
        self.stoppedBy = stoppedBy
        simulatedDays = schedule.walkIns > 0 ? schedule.simulatedDays : 0
        walkInsByHour = Dictionary(
            uniqueKeysWithValues: schedule.walkInsByHour.map { (zeroPadded($0.key, width: 2), $0.value) })
        eventsPerWalkIn = Self.rounded(plan.eventsPerWalkIn, decimals: 3)
    }

    static func rounded(_ value: Double, decimals: Int = 1) -> Double {
        let scale = pow(10, Double(decimals))
        return (value * scale).rounded() / scale
    }

    /// One line of compact JSON, keys sorted.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
