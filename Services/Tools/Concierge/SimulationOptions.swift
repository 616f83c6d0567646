import ArgumentParser

// MARK: - SimulationBankOptions

/// The simulated bank: branches, roster and customers.
struct SimulationBankOptions: ParsableArguments {
    @Option(help: "Branches, SH001, SH002, … (1–999).")
    var branches = 10

    @Option(
        help: """
            Wealth managers per branch (1–99). Each branch also has a lobby manager and assistant, two cash \
            and two non-cash tellers, a business officer, a marketing manager, a team lead, a centre head and \
            branch and regional sales supervisors.
            """)
    var managersPerBranch = 6

    @Option(help: "Customer profiles per branch (1–99,999).")
    var customersPerBranch = 2_000

    @Option(help: "Average walk-ins per branch per simulated day (with --day-length and a rate, the rate decides).")
    var walkinsPerBranchDay = 300.0

    @Option(
        help: """
            Median average daily assets (CNY). Assets are log-normal: with the defaults about 16 % of \
            customers are at or above the 300,000 VIP line (B-01), 4 % at 1,000,000 or more (tier B or C) \
            and 0.7 % at 3,000,000 or more (tier C, B-03).
            """)
    var medianAssets = 60_000.0

    @Option(help: "σ of the logarithm of average daily assets (a wider tail above the VIP line as it grows).")
    var assetSigma = 1.6

    @Option(
        help: """
            Share of customers at or above the VIP line who hold the VIP card; the others are potential VIPs \
            (cardHolder false).
            """)
    var cardHolderShare = 0.92

    func validate() throws {
        guard (1...999).contains(branches) else { throw ValidationError("--branches must be 1 to 999") }
        guard (1...99).contains(managersPerBranch) else {
            throw ValidationError("--managers-per-branch must be 1 to 99")
        }
        guard (1...99_999).contains(customersPerBranch) else {
            throw ValidationError("--customers-per-branch must be 1 to 99,999")
        }
        guard walkinsPerBranchDay > 0, walkinsPerBranchDay.isFinite else {
            throw ValidationError("--walkins-per-branch-day must be positive")
        }
        guard medianAssets > 0, medianAssets.isFinite else { throw ValidationError("--median-assets must be positive") }
        guard (0...4).contains(assetSigma) else { throw ValidationError("--asset-sigma must be 0 to 4") }
        guard (0...1).contains(cardHolderShare) else { throw ValidationError("--card-holder-share must be 0 to 1") }
    }
}

// MARK: - SimulationMixOptions

/// The mix of events of a day, as shares of walk-ins.
struct SimulationMixOptions: ParsableArguments {
    @Option(
        help: """
            Share of walk-ins the front end knows (customerId); the others are new faces, some with a card or \
            lead signals and a phone number.
            """)
    var knownCustomerShare = 0.8

    @Option(
        help: """
            Share of walk-ins during which a teller, the business officer or the lobby manager raises a signal \
            (visit-signal).
            """)
    var signalShare = 0.06

    @Option(
        help: """
            Share of referred walk-ins (VIPs and potential VIPs) a wealth manager starts serving (visit- \
            served); the rest decline or leave unserved (visit-left).
            """)
    var servedShare = 0.8

    @Option(help: "Share of walk-ins whose departure the front end reports (visit-left).")
    var leftShare = 0.7

    @Option(help: "Complaints lodged per walk-in (complaint-lodged).")
    var complaintShare = 0.01

    @Option(help: "Call-centre escalations per walk-in (escalation-raised), spread over the day.")
    var escalationShare = 0.005

    @Option(help: "Managers' CRM contacts per walk-in (contact-logged), spread over the day.")
    var contactShare = 0.6

    @Option(help: "Sales per walk-in (product-sold), spread over the day.")
    var saleShare = 0.1

    @Option(help: "Appointments booked per walk-in (appointment-booked), spread over the day.")
    var appointmentShare = 0.05

    func validate() throws {
        let shares = [
            ("--known-customer-share", knownCustomerShare), ("--signal-share", signalShare),
            ("--served-share", servedShare), ("--left-share", leftShare), ("--complaint-share", complaintShare),
        ]
        for (name, value) in shares where !(0...1).contains(value) {
            throw ValidationError("\(name) must be 0 to 1")
        }
        let rates = [
            ("--escalation-share", escalationShare), ("--contact-share", contactShare), ("--sale-share", saleShare),
            ("--appointment-share", appointmentShare),
        ]
        for (name, value) in rates where !(0...100).contains(value) {
            throw ValidationError("\(name) must be 0 to 100")
        }
    }
}

// MARK: - SimulationPaceOptions

/// How fast, and for how long.
struct SimulationPaceOptions: ParsableArguments {
    @Option(help: "Events per second, all kinds together.")
    var rate: Double?

    @Option(help: "Walk-ins per second; the day's other events go out between them (default 100 without --day-length).")
    var walkinsPerSecond: Double?

    @Flag(help: "As fast as possible (batched, asynchronous sends).")
    var max = false

    @Option(
        help: """
            Compress each bank day (09:00–17:00) into this many seconds, so the rate follows the day: the \
            morning peak, the lunchtime bump, the quiet afternoon. With --rate or --walkins-per-second that is \
            the day's average.
            """)
    var dayLength: Double?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many simulated bank days (the default, 1, applies when no limit is given).")
    var days: Int?

    @Option(help: "Stop after this many walk-ins.")
    var walkins: Int?

    func validate() throws {
        guard [rate != nil, walkinsPerSecond != nil, max].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --rate, --walkins-per-second and --max")
        }
        for (name, value) in [
            ("--rate", rate), ("--walkins-per-second", walkinsPerSecond), ("--day-length", dayLength),
        ] {
            if let value, !(value > 0 && value.isFinite) { throw ValidationError("\(name) must be positive") }
        }
        if max && dayLength != nil {
            throw ValidationError("--max sends as fast as possible; it cannot follow --day-length")
        }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("--duration must be positive") }
        if let days, days < 1 { throw ValidationError("--days must be at least 1") }
        if let walkins, walkins < 1 { throw ValidationError("--walkins must be at least 1") }
    }
}

// MARK: - SimulationTimestamps

/// Which times the day's events carry.
enum SimulationTimestamps: String, ExpressibleByArgument, CaseIterable, Sendable, Codable {
    /// The moment each event is sent, as a live front end writes them (what end-to-end latency is measured by).
    case now
    /// The simulated time of day on --date and the days after it (dry runs, replaying a day).
    case day
}
