import Events

// MARK: - SimulationSettings

/// Everything that shapes a simulated day: the bank's size, the customers' assets and the mix of events. Built from
/// `concierge simulate`'s options; the defaults are documented there.
struct SimulationSettings: Sendable {
    /// Identifies the run: visit, complaint, case, sale and event ids carry it, so runs never collide.
    var runID: String
    var seed: UInt64

    var branches = 10
    var managersPerBranch = 6
    var customersPerBranch = 2_000
    /// Average walk-ins per branch per simulated day.
    var walkInsPerBranchDay = 300.0

    /// Average daily assets are log-normal: median and σ of the logarithm.
    var medianAssets = 60_000.0
    var assetSigma = 1.6
    /// Share of customers at or above the VIP threshold who hold the VIP card (the others are potential VIPs).
    var cardHolderShare = 0.92

    /// Walk-ins whose customer the front end knows (card read or identity checked).
    var knownCustomerShare = 0.8
    /// Walk-ins during which a teller or the business officer raises a signal.
    var signalShare = 0.06
    /// Referred walk-ins (VIP or potential) a wealth manager starts serving; the others decline or leave unserved.
    var servedShare = 0.8
    /// Walk-ins whose departure the front end reports.
    var leftShare = 0.7
    /// Per walk-in: complaints lodged, call-centre escalations, CRM contacts, sales and appointments.
    var complaintShare = 0.01
    var escalationShare = 0.005
    var contactShare = 0.6
    var saleShare = 0.1
    var appointmentShare = 0.05

    /// The first simulated business date.
    var startDate: BusinessDate
    /// The business time zone's offset, for every timestamp written.
    var utcOffsetSeconds: Int32

    /// Intake's defaults (`INTAKE_VIP_MIN_AUM`, `INTAKE_TIER_B_MIN_AUM`, `INTAKE_TIER_C_MIN_AUM`, rulebook B-01,
    /// B-03) and large-cash amount (`INTAKE_LARGE_CASH_MIN`, C-07): used to decide which walk-ins get a referral and
    /// to count profiles by tier; the services apply their own settings.
    static let vipMinimum = Amount(units: 300_000)
    static let tierBMinimum = Amount(units: 1_000_000)
    static let tierCMinimum = Amount(units: 3_000_000)
    static let largeCashMinimum = Amount(units: 50_000)

    /// The tier B-03 gives average daily assets, or `nil` below the VIP threshold.
    static func tier(of assets: Amount) -> Tier? {
        if assets >= tierCMinimum { return .c }
        if assets >= tierBMinimum { return .b }
        if assets >= vipMinimum { return .a }
        return nil
    }

    /// Walk-ins per simulated day over all branches.
    var walkInsPerDay: Double { walkInsPerBranchDay * Double(branches) }

    /// Visit ids start with this, so a benchmark finds its tasks (`visit_id LIKE 'V<run>-%'`).
    var visitIDPrefix: String { "V\(runID)-" }
}
