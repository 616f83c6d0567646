import Events
import Foundation
import ServiceKit

/// Scoring's thresholds, norms and weights, all configurable; see `docs/scoring.md` for which come from the
/// rulebook and which are the project's choices.
public struct ScoringSettings: Sendable {
    /// A year's maintenance services for a tier (E-03): at least `services`, of which `proactive` proactive contacts
    /// and `meetings` meetings.
    public struct Cadence: Sendable, Equatable {
        public var services: Int
        public var proactive: Int
        public var meetings: Int

        public init(services: Int, proactive: Int, meetings: Int) {
            self.services = services
            self.proactive = proactive
            self.meetings = meetings
        }

        /// `services,proactive,meetings`, e.g. `12,4,2`.
        init(parsing raw: String, key: String) throws(ConfigurationError) {
            let parts = raw.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 3, let s = parts[0], let p = parts[1], let m = parts[2], s > 0, p >= 0, m >= 0,
                p + m <= s, s <= 366
            else {
                throw ConfigurationError(
                    key: key, reason: "expected services,proactive,meetings such as 12,4,2, got \"\(raw)\"")
            }
            self.init(services: s, proactive: p, meetings: m)
        }
    }

    /// A manager's daily activity norm (E-03: at least 11 contacts a day, of which 6 proactive and 3 meetings).
    public struct DailyNorm: Sendable, Equatable {
        public var contacts: Int
        public var proactive: Int
        public var meetings: Int

        public init(contacts: Int, proactive: Int, meetings: Int) {
            self.contacts = contacts
            self.proactive = proactive
            self.meetings = meetings
        }
    }

    /// The annual composite's weights (G-02: the sources give none; equal by default).
    public struct Weights: Sendable, Equatable {
        /// Component name → weight, in the order of ``Weights/names``.
        public var values: [String: Double]

        public init(values: [String: Double]) {
            self.values = values
        }

        /// The simulated-profit component first, then the six qualitative items of G-02.
        public static let names = ["simulatedProfit"] + AssessmentRecorded.V1.Items.names

        /// The environment key of a component, e.g. `SCORING_WEIGHT_SIMULATED_PROFIT`.
        static func key(_ name: String) -> String {
            var key = "SCORING_WEIGHT_"
            for character in name {
                if character.isUppercase { key += "_" }
                key += character.uppercased()
            }
            return key
        }
    }

    /// The asset thresholds of B-01 and B-03 (`SCORING_VIP_MIN_AUM`, `SCORING_TIER_B_MIN_AUM`,
    /// `SCORING_TIER_C_MIN_AUM`).
    public var assetTiers: AssetTiers
    /// Tier A's year (`SCORING_CADENCE_TIER_A`, default `6,4,2`) and tiers B and C's (`SCORING_CADENCE_TIER_BC`,
    /// default `12,4,2`) (E-03).
    public var cadenceA: Cadence
    public var cadenceBC: Cadence
    /// The daily norm (`SCORING_NORM_CONTACTS_PER_DAY` 11, `SCORING_NORM_PROACTIVE_PER_DAY` 6,
    /// `SCORING_NORM_MEETINGS_PER_DAY` 3; E-03).
    public var dailyNorm: DailyNorm
    /// Contribution looks back this many months (`SCORING_CONTRIBUTION_MONTHS`, default 12; a project choice, G-05).
    public var contributionMonths: Int
    /// The period of the profile's `periodDebtService`, in months (`SCORING_DEBT_SERVICE_PERIOD_MONTHS`, default 12:
    /// a year, like `annualPreTaxIncome`; G-09 allows a month, a quarter or a year).
    public var debtServicePeriodMonths: Int
    /// A-15 minimums per VIP centre (`SCORING_MIN_WEALTH_MANAGERS` 3, `SCORING_MIN_LOBBY_MANAGERS` 1,
    /// `SCORING_MIN_MARKETING_MANAGERS` 1).
    public var minimumWealthManagers: Int
    public var minimumLobbyManagers: Int
    public var minimumMarketingManagers: Int
    /// The call centre's first-line resolution target (`SCORING_FIRST_LINE_TARGET_PERCENT`, default 95; G-07).
    public var firstLineTargetPercent: Int
    /// The composite's weights (`SCORING_WEIGHT_SIMULATED_PROFIT`, `SCORING_WEIGHT_SELF_DEVELOPMENT`, …; default 1
    /// each).
    public var weights: Weights
    /// A day's statistics are published this long after the day ends (`SCORING_DAY_CLOSE_GRACE_MINUTES`,
    /// default 60), a month's scorecards this long after the month ends (`SCORING_MONTH_CLOSE_GRACE_MINUTES`,
    /// default 60).
    public var dayCloseGrace: Duration
    public var monthCloseGrace: Duration
    /// For this many days after a month is published, changed scorecards are published again as a new revision
    /// (`SCORING_CORRECTION_DAYS`, default 5).
    public var correctionDays: Int
    /// How often the publishing job runs (`SCORING_PUBLISH_INTERVAL_MS`, default 60,000).
    public var publishInterval: Duration

    public init(
        assetTiers: AssetTiers = AssetTiers(),
        cadenceA: Cadence = Cadence(services: 6, proactive: 4, meetings: 2),
        cadenceBC: Cadence = Cadence(services: 12, proactive: 4, meetings: 2),
        dailyNorm: DailyNorm = DailyNorm(contacts: 11, proactive: 6, meetings: 3),
        contributionMonths: Int = 12, debtServicePeriodMonths: Int = 12,
        minimumWealthManagers: Int = 3, minimumLobbyManagers: Int = 1, minimumMarketingManagers: Int = 1,
        firstLineTargetPercent: Int = 95,
        weights: Weights = Weights(values: Dictionary(uniqueKeysWithValues: Weights.names.map { ($0, 1.0) })),
        dayCloseGrace: Duration = .seconds(3_600), monthCloseGrace: Duration = .seconds(3_600),
        correctionDays: Int = 5, publishInterval: Duration = .seconds(60)
    ) {
        self.assetTiers = assetTiers
        self.cadenceA = cadenceA
        self.cadenceBC = cadenceBC
        self.dailyNorm = dailyNorm
        self.contributionMonths = contributionMonths
        self.debtServicePeriodMonths = debtServicePeriodMonths
        self.minimumWealthManagers = minimumWealthManagers
        self.minimumLobbyManagers = minimumLobbyManagers
        self.minimumMarketingManagers = minimumMarketingManagers
        self.firstLineTargetPercent = firstLineTargetPercent
        self.weights = weights
        self.dayCloseGrace = dayCloseGrace
        self.monthCloseGrace = monthCloseGrace
        self.correctionDays = correctionDays
        self.publishInterval = publishInterval
    }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        var weights: [String: Double] = [:]
        for name in Weights.names {
            let key = Weights.key(name)
            guard let raw = environment.string(key) else {
                weights[name] = 1
                continue
            }
            guard let weight = Double(raw), weight >= 0, weight.isFinite else {
                throw ConfigurationError(key: key, reason: "expected a weight of 0 or more, got \"\(raw)\"")
            }
            weights[name] = weight
        }
        guard weights.values.contains(where: { $0 > 0 }) else {
            throw ConfigurationError(key: "SCORING_WEIGHT_SIMULATED_PROFIT", reason: "at least one weight must be above 0")
        }
        self.init(
            assetTiers: try AssetTiers(environment: environment, prefix: "SCORING"),
            cadenceA: try Cadence(
                parsing: environment.string("SCORING_CADENCE_TIER_A", default: "6,4,2"), key: "SCORING_CADENCE_TIER_A"),
            cadenceBC: try Cadence(
                parsing: environment.string("SCORING_CADENCE_TIER_BC", default: "12,4,2"),
                key: "SCORING_CADENCE_TIER_BC"),
            dailyNorm: DailyNorm(
                contacts: try environment.int("SCORING_NORM_CONTACTS_PER_DAY", default: 11, in: 0...200),
                proactive: try environment.int("SCORING_NORM_PROACTIVE_PER_DAY", default: 6, in: 0...200),
                meetings: try environment.int("SCORING_NORM_MEETINGS_PER_DAY", default: 3, in: 0...200)),
            contributionMonths: try environment.int("SCORING_CONTRIBUTION_MONTHS", default: 12, in: 1...120),
            debtServicePeriodMonths: try environment.int("SCORING_DEBT_SERVICE_PERIOD_MONTHS", default: 12, in: 1...12),
            minimumWealthManagers: try environment.int("SCORING_MIN_WEALTH_MANAGERS", default: 3, in: 0...1_000),
            minimumLobbyManagers: try environment.int("SCORING_MIN_LOBBY_MANAGERS", default: 1, in: 0...1_000),
            minimumMarketingManagers: try environment.int("SCORING_MIN_MARKETING_MANAGERS", default: 1, in: 0...1_000),
            firstLineTargetPercent: try environment.int("SCORING_FIRST_LINE_TARGET_PERCENT", default: 95, in: 1...100),
            weights: Weights(values: weights),
            dayCloseGrace: .seconds(
                60 * (try environment.int("SCORING_DAY_CLOSE_GRACE_MINUTES", default: 60, in: 0...10_080))),
            monthCloseGrace: .seconds(
                60 * (try environment.int("SCORING_MONTH_CLOSE_GRACE_MINUTES", default: 60, in: 0...44_640))),
            correctionDays: try environment.int("SCORING_CORRECTION_DAYS", default: 5, in: 0...60),
            publishInterval: try environment.milliseconds("SCORING_PUBLISH_INTERVAL_MS", default: .seconds(60)))
        guard publishInterval >= .milliseconds(50) else {
            throw ConfigurationError(key: "SCORING_PUBLISH_INTERVAL_MS", reason: "must be at least 50")
        }
    }

    /// The year's services a tier calls for.
    public func cadence(for tier: Tier) -> Cadence {
        tier == .a ? cadenceA : cadenceBC
    }
}
