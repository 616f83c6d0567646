import Events
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import Scoring

/// The customer-level figures of scoring on hand-computed examples: tiers and `customer-tier-changed` (B-03),
/// contribution and its rank in the branch (G-05, G-01), the six financial-health ratios (G-09, J-14), the H-04
/// compliance findings on sales, and the rebuild of every figure from the same events read in another order.
///
/// Every date is fixed: figures are asked for with an explicit `asOf` (or `now`), never the wall clock.
@Suite(
    "Scoring: customers (tiers, contribution, health ratios, compliance, rebuild)", .serialized, .timeLimit(.minutes(3))
)
struct ScoringCustomerTests {
    // MARK: - Helpers

    /// The status `APIError.notFound` answers with.
    private static let notFound = APIError.notFound("").status

    private func cny(_ text: String) throws -> Amount {
        try Amount(parsing: text)
    }

    private func profile(
        _ customerID: String, branch: String = "SH001", aum: String, asOf: String, cardHolder: Bool? = nil,
        experience: Bool? = nil, financials: CustomerProfile.V1.Financials? = nil, override: String? = nil
    ) throws -> CustomerProfile.V1 {
        CustomerProfile.V1(
            customerId: customerID, homeBranchId: branch, aumDailyAvg: try cny(aum), asOf: try day(asOf),
            cardHolder: cardHolder, derivativesExperience: experience, financials: financials,
            segmentOverride: override)
    }

    private func sale(
        _ saleID: String, customer: String, manager: String? = "WM001", _ type: ProductType = .deposit,
        deposit: String? = nil, wealth: String? = nil, fee: String? = nil, at: String,
        assessment: ProductSold.V1.RiskAssessment? = nil
    ) throws -> ProductSold.V1 {
        ProductSold.V1(
            saleId: saleID, customerId: customer, managerId: manager, productType: type,
            amount: try cny("100000.00"), depositProfit: try deposit.map(cny), wealthProfit: try wealth.map(cny),
            feeIncome: try fee.map(cny), at: try ts(at), riskAssessment: assessment)
    }

    /// A risk assessment made at `at`, signed in person unless told.
    private func assessed(_ at: String, inPerson: Bool? = true, level: String? = "R3") throws
        -> ProductSold.V1.RiskAssessment
    {
        ProductSold.V1.RiskAssessment(assessedAt: try ts(at), signedInPerson: inPerson, level: level)
    }

    private func ratio(_ name: String, in ratios: [FinancialHealth.Ratio]) throws -> FinancialHealth.Ratio {
        try #require(ratios.first { $0.name == name }, "no ratio \(name)")
    }

    /// Every finding row as `sale/check=status@manager`, sorted.
    private func findingRows(_ harness: ServiceHarness<ScoringService>) async throws -> [String] {
        let rows = try await harness.client.query(
            """
            SELECT sale_id || '/' || check_name || '=' || status || '@' || COALESCE(manager_id, '-')
            FROM compliance_findings ORDER BY 1
            """
        ).collect()
        return try rows.map { try $0.decode(String.self) }
    }

    // MARK: - B-03 tiers and customer-tier-changed

    @Test("B-03 a first VIP profile emits one customer-tier-changed: no previous tier, tier A on assets, home branch")
    func firstProfileEmitsTierChanged() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let out = try await harness.deliver(
                try profile("C-B1", branch: "SH007", aum: "300000.00", asOf: "2026-11-20"), id: "profile-b1")
            let changes = out.payloads(CustomerTierChanged.V1.self)
            #expect(out.count == 1)
            #expect(changes.count == 1)
            let change = try #require(changes.first)
            #expect(change.customerId == "C-B1")
            #expect(change.previousTier == nil)
            #expect(change.tier == .a)
            #expect(change.basis == "assets")
            #expect(change.homeBranchId == "SH007")
            #expect(change.aumDailyAvg == (try cny("300000.00")))
            #expect(change.asOf == (try day("2026-11-20")))
            #expect(out.first?.subject == "customer/C-B1")

            let score = try await harness.service.customerScore(customerID: "C-B1", asOf: try day("2026-11-20"))
            #expect(score.tier == .a)
            #expect(score.tierBasis == "assets")
            #expect(score.homeBranchId == "SH007")
            #expect(score.aumDailyAvg == (try cny("300000.00")))
            #expect(score.profileAsOf == (try day("2026-11-20")))
        }
    }

    @Test("B-03 B-01 boundaries: 299,999.99 no tier, 300,000 A, 999,999.99 A, 1,000,000 B, 2,999,999.99 B, 3,000,000 C")
    func tierBoundaries() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            // B-01: the VIP threshold is 30万 = 300,000; B-03: B includes 100万, C includes 300万.
            let cases: [(String, String, Tier?)] = [
                ("C-T0", "299999.99", nil), ("C-T1", "300000.00", .a), ("C-T2", "999999.99", .a),
                ("C-T3", "1000000.00", .b), ("C-T4", "2999999.99", .b), ("C-T5", "3000000.00", .c),
                ("C-T6", "0.00", nil),
            ]
            for (customer, aum, expected) in cases {
                let out = try await harness.deliver(try profile(customer, aum: aum, asOf: "2026-11-20"))
                let changes = out.payloads(CustomerTierChanged.V1.self)
                if let expected {
                    #expect(changes.count == 1, "\(aum)")
                    #expect(changes.first?.tier == expected, "\(aum)")
                    #expect(changes.first?.previousTier == nil, "\(aum)")
                    #expect(changes.first?.basis == "assets", "\(aum)")
                } else {
                    // No tier before, none now: nothing changed, nothing announced.
                    #expect(out.isEmpty, "\(aum)")
                }
                let score = try await harness.service.customerScore(customerID: customer, asOf: try day("2026-11-20"))
                #expect(score.tier == expected, "\(aum)")
                #expect(score.tierBasis == (expected == nil ? nil : "assets"), "\(aum)")
            }
        }
    }

    @Test("B-03 a VIP card holder below 300,000 is tier A on basis card; above the threshold assets decide")
    func cardHolder() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let holder = try await harness.deliver(
                try profile("C-K1", aum: "299999.99", asOf: "2026-11-20", cardHolder: true))
            let change = try #require(holder.payloads(CustomerTierChanged.V1.self).first)
            #expect(change.tier == .a)
            #expect(change.basis == "card")
            #expect(change.previousTier == nil)

            // A holder with nothing at the bank is still tier A (A has no lower bound).
            let empty = try await harness.deliver(
                try profile("C-K2", aum: "0.00", asOf: "2026-11-20", cardHolder: true))
            #expect(empty.payloads(CustomerTierChanged.V1.self).map(\.tier) == [.a])

            // Not a holder (false or absent) below the threshold: no tier.
            #expect(
                try await harness.deliver(
                    try profile("C-K3", aum: "299999.99", asOf: "2026-11-20", cardHolder: false)
                ).isEmpty)
            #expect(try await harness.deliver(try profile("C-K4", aum: "299999.99", asOf: "2026-11-20")).isEmpty)

            // A holder with 1,200,000: tier B on assets, the card adds nothing.
            let rich = try await harness.deliver(
                try profile("C-K5", aum: "1200000.00", asOf: "2026-11-20", cardHolder: true))
            #expect(rich.payloads(CustomerTierChanged.V1.self).map(\.tier) == [.b])
            #expect(rich.payloads(CustomerTierChanged.V1.self).map(\.basis) == ["assets"])

            let score = try await harness.service.customerScore(customerID: "C-K1", asOf: try day("2026-11-20"))
            #expect(score.tier == .a)
            #expect(score.tierBasis == "card")
        }
    }

    @Test(
        "B-03 override C wins over assets (basis override); standard clears the tier, announced with no tier"
    )
    func segmentOverride() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let first = try await harness.deliver(try profile("C-O1", aum: "500000.00", asOf: "2026-11-01"))
            #expect(first.payloads(CustomerTierChanged.V1.self).map(\.tier) == [.a])

            // 500,000 of assets would be A; the override says C.
            let overridden = try await harness.deliver(
                try profile("C-O1", aum: "500000.00", asOf: "2026-11-02", override: "C"))
            let toC = try #require(overridden.payloads(CustomerTierChanged.V1.self).first)
            #expect(overridden.count == 1)
            #expect(toC.previousTier == .a)
            #expect(toC.tier == .c)
            #expect(toC.basis == "override")
            var score = try await harness.service.customerScore(customerID: "C-O1", asOf: try day("2026-11-02"))
            #expect(score.tier == .c)
            #expect(score.tierBasis == "override")

            // "standard" clears the tier even with 5,000,000 of assets.
            let cleared = try await harness.deliver(
                try profile("C-O1", aum: "5000000.00", asOf: "2026-11-03", override: "standard"))
            let toNone = try #require(cleared.payloads(CustomerTierChanged.V1.self).first)
            #expect(cleared.count == 1)
            #expect(toNone.previousTier == .c)
            #expect(toNone.tier == nil)
            #expect(toNone.basis == "override")
            #expect(toNone.homeBranchId == "SH001")
            score = try await harness.service.customerScore(customerID: "C-O1", asOf: try day("2026-11-03"))
            #expect(score.tier == nil)
            #expect(score.tierBasis == "override")

            // Without the override, 5,000,000 is C on assets again.
            let back = try await harness.deliver(try profile("C-O1", aum: "5000000.00", asOf: "2026-11-04"))
            let toAssets = try #require(back.payloads(CustomerTierChanged.V1.self).first)
            #expect(toAssets.previousTier == nil)
            #expect(toAssets.tier == .c)
            #expect(toAssets.basis == "assets")

            // An override B on a first profile below the VIP threshold.
            let low = try await harness.deliver(try profile("C-O2", aum: "1000.00", asOf: "2026-11-04", override: "b"))
            #expect(low.payloads(CustomerTierChanged.V1.self).map(\.tier) == [.b])
            #expect(low.payloads(CustomerTierChanged.V1.self).map(\.basis) == ["override"])
        }
    }

    @Test(
        "B-03 an unchanged tier, a stale profile and a redelivered profile emit nothing; the stale one changes nothing")
    func unchangedStaleRedelivered() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let first = try profile("C-S1", aum: "1200000.00", asOf: "2026-11-10")
            #expect(try await harness.deliver(first, id: "p-s1-1").payloads(CustomerTierChanged.V1.self).count == 1)

            // 1,500,000 is still B: stored, not announced.
            let newer = try profile("C-S1", aum: "1500000.00", asOf: "2026-11-11")
            #expect(try await harness.deliver(newer, id: "p-s1-2").isEmpty)
            var score = try await harness.service.customerScore(customerID: "C-S1", asOf: try day("2026-11-11"))
            #expect(score.tier == .b)
            #expect(score.aumDailyAvg == (try cny("1500000.00")))
            #expect(score.profileAsOf == (try day("2026-11-11")))

            // A snapshot of 11-05 (older than the stored 11-11) saying 5,000,000 and another branch: ignored.
            let stale = try profile("C-S1", branch: "SH009", aum: "5000000.00", asOf: "2026-11-05")
            #expect(try await harness.deliver(stale, id: "p-s1-stale").isEmpty)
            score = try await harness.service.customerScore(customerID: "C-S1", asOf: try day("2026-11-11"))
            #expect(score.tier == .b)
            #expect(score.homeBranchId == "SH001")
            #expect(score.aumDailyAvg == (try cny("1500000.00")))
            #expect(score.profileAsOf == (try day("2026-11-11")))

            // The same event again (same id): the inbox drops it.
            #expect(try await harness.deliver(first, id: "p-s1-1").isEmpty)
            #expect(try await harness.deliver(newer, id: "p-s1-2").isEmpty)
            score = try await harness.service.customerScore(customerID: "C-S1", asOf: try day("2026-11-11"))
            #expect(score.aumDailyAvg == (try cny("1500000.00")))
            #expect(try await scalar(harness.client, "SELECT count(*) FROM customers") == 1)
            #expect(try await harness.allEmitted().count == 1)
        }
    }

    @Test("B-03 tier thresholds follow SCORING_VIP_MIN_AUM, SCORING_TIER_B_MIN_AUM and SCORING_TIER_C_MIN_AUM")
    func configuredThresholds() async throws {
        let environment = [
            "SCORING_VIP_MIN_AUM": "500000", "SCORING_TIER_B_MIN_AUM": "2000000.00",
            "SCORING_TIER_C_MIN_AUM": "5000000",
        ]
        try await ServiceHarness<ScoringService>.run(environment: environment) { harness in
            let cases: [(String, String, Tier?)] = [
                ("C-E0", "499999.99", nil), ("C-E1", "500000.00", .a), ("C-E2", "1999999.99", .a),
                ("C-E3", "2000000.00", .b), ("C-E4", "4999999.99", .b), ("C-E5", "5000000.00", .c),
                // 1,000,000 and 3,000,000 are no longer boundaries.
                ("C-E6", "1000000.00", .a), ("C-E7", "3000000.00", .b),
            ]
            for (customer, aum, expected) in cases {
                let out = try await harness.deliver(try profile(customer, aum: aum, asOf: "2026-11-20"))
                #expect(
                    out.payloads(CustomerTierChanged.V1.self).map(\.tier) == (expected == nil ? [] : [expected]),
                    "\(aum)")
            }
        }
    }

    // MARK: - G-05 / G-01 contribution

    @Test(
        "G-05 G-01 contribution = deposit + wealth + fee over the 12 months to asOf, both edges in Shanghai time"
    )
    func contributionWindow() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(try profile("C-G1", aum: "800000.00", asOf: "2026-11-01"))
            let sales = [
                // The window for asOf 2026-11-23 is 2025-11-24 … 2026-11-23, both included.
                try sale("G1-S1", customer: "C-G1", deposit: "1000.50", at: "2025-11-24T09:00:00.000+08:00"),
                // 23:59:59.999 on 2025-11-23 in Shanghai: the day before the window.
                try sale("G1-S2", customer: "C-G1", deposit: "90000.00", at: "2025-11-23T15:59:59.999Z"),
                // 16:30 UTC on 11-23 is 00:30 on 2025-11-24 in Shanghai: inside.
                try sale("G1-S3", customer: "C-G1", wealth: "2000.25", at: "2025-11-23T16:30:00.000Z"),
                // asOf itself, with a negative wealth profit.
                try sale(
                    "G1-S4", customer: "C-G1", wealth: "-500.00", fee: "300.00", at: "2026-11-23T23:59:00.000+08:00"),
                // 16:00 UTC on 2026-11-23 is midnight of 11-24 in Shanghai: after asOf.
                try sale("G1-S5", customer: "C-G1", fee: "70000.00", at: "2026-11-23T16:00:00.000Z"),
                try sale(
                    "G1-S6", customer: "C-G1", deposit: "-200.10", wealth: "1500.00", fee: "49.35",
                    at: "2026-06-15T10:00:00.000+08:00"),
            ]
            for sale in sales { try await harness.deliver(sale) }

            let score = try await harness.service.customerScore(customerID: "C-G1", asOf: try day("2026-11-23"))
            let c = score.contribution
            #expect(c.from == (try day("2025-11-24")))
            #expect(c.to == (try day("2026-11-23")))
            // S1, S3, S4, S6 count.
            // deposit 1,000.50 − 200.10 = 800.40
            #expect(c.depositProfit == (try cny("800.40")))
            // wealth 2,000.25 − 500.00 + 1,500.00 = 3,000.25
            #expect(c.wealthProfit == (try cny("3000.25")))
            // fee 300.00 + 49.35 = 349.35
            #expect(c.feeIncome == (try cny("349.35")))
            // 800.40 + 3,000.25 + 349.35 = 4,150.00
            #expect(c.total == (try cny("4150.00")))
            #expect(c.sales == 4)

            // One day later the window is 2025-11-25 … 2026-11-24: S1 and S3 (2025-11-24) drop out, S5 comes in.
            let later = try await harness.service.customerScore(customerID: "C-G1", asOf: try day("2026-11-24"))
                .contribution
            #expect(later.from == (try day("2025-11-25")))
            #expect(later.depositProfit == (try cny("-200.10")))
            // −500.00 + 1,500.00 = 1,000.00
            #expect(later.wealthProfit == (try cny("1000.00")))
            // 300.00 + 70,000.00 + 49.35 = 70,349.35
            #expect(later.feeIncome == (try cny("70349.35")))
            // −200.10 + 1,000.00 + 70,349.35 = 71,149.25
            #expect(later.total == (try cny("71149.25")))
            #expect(later.sales == 3)

            // asOf 2025-11-23: the window 2024-11-24 … 2025-11-23 holds only S2.
            let earlier = try await harness.service.customerScore(customerID: "C-G1", asOf: try day("2025-11-23"))
                .contribution
            #expect(earlier.total == (try cny("90000.00")))
            #expect(earlier.sales == 1)
        }
    }

    @Test("G-05 rank and percentile among the customers with a profile in the same home branch; ties share a rank")
    func contributionRank() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            for customer in ["C-P1", "C-P2", "C-P3", "C-P4", "C-P5"] {
                try await harness.deliver(try profile(customer, aum: "400000.00", asOf: "2026-11-01"))
            }
            try await harness.deliver(try profile("C-Q1", branch: "SH002", aum: "400000.00", asOf: "2026-11-01"))
            let sales = [
                try sale(
                    "R-1", customer: "C-P1", deposit: "4000.00", fee: "1000.00", at: "2026-10-01T10:00:00.000+08:00"),
                try sale("R-2", customer: "C-P2", wealth: "1200.00", at: "2026-09-01T10:00:00.000+08:00"),
                // Before the window (2025-11-24 … 2026-11-23): not counted.
                try sale("R-3", customer: "C-P2", wealth: "800.00", at: "2025-11-01T10:00:00.000+08:00"),
                try sale("R-4", customer: "C-P3", deposit: "700.00", at: "2026-01-10T10:00:00.000+08:00"),
                try sale("R-5", customer: "C-P3", fee: "500.00", at: "2026-02-10T10:00:00.000+08:00"),
                // After asOf: not counted; C-P4 stays at 0.
                try sale("R-6", customer: "C-P4", deposit: "10000.00", at: "2026-11-25T10:00:00.000+08:00"),
                try sale("R-7", customer: "C-P5", deposit: "-300.00", at: "2026-03-03T10:00:00.000+08:00"),
                // Another branch, and a customer without a profile: neither is in SH001's population.
                try sale("R-8", customer: "C-Q1", fee: "9999.00", at: "2026-04-04T10:00:00.000+08:00"),
                try sale("R-9", customer: "C-N1", deposit: "50000.00", at: "2026-05-05T10:00:00.000+08:00"),
            ]
            for sale in sales { try await harness.deliver(sale) }

            // SH001 totals: P1 5,000; P2 1,200; P3 700 + 500 = 1,200; P4 0; P5 −300. N = 5.
            // percentile = 100 × (below + equal / 2) / N, the customer itself among the equal.
            let expected: [(String, String, Int, Double)] = [
                ("C-P1", "5000.00", 1, 90.0),  // (4 + 1/2) / 5 = 0.9
                ("C-P2", "1200.00", 2, 60.0),  // (2 + 2/2) / 5 = 0.6
                ("C-P3", "1200.00", 2, 60.0),  // tie: same rank, same percentile
                ("C-P4", "0.00", 4, 30.0),  // 3 above → rank 4; (1 + 1/2) / 5 = 0.3
                ("C-P5", "-300.00", 5, 10.0),  // (0 + 1/2) / 5 = 0.1
            ]
            let asOf = try day("2026-11-23")
            for (customer, total, rank, percentile) in expected {
                let c = try await harness.service.customerScore(customerID: customer, asOf: asOf).contribution
                #expect(c.total == (try cny(total)), "\(customer)")
                #expect(c.rank == rank, "\(customer)")
                #expect(c.branchCustomers == 5, "\(customer)")
                #expect(c.percentile == percentile, "\(customer)")
            }

            // SH002 has C-Q1 alone: rank 1 of 1, (0 + 1/2) / 1 = 50.0.
            let q1 = try await harness.service.customerScore(customerID: "C-Q1", asOf: asOf).contribution
            #expect(q1.total == (try cny("9999.00")))
            #expect(q1.rank == 1)
            #expect(q1.branchCustomers == 1)
            #expect(q1.percentile == 50.0)

            // Sales without a profile: a contribution, but no branch and no rank.
            let n1 = try await harness.service.customerScore(customerID: "C-N1", asOf: asOf)
            #expect(n1.contribution.total == (try cny("50000.00")))
            #expect(n1.contribution.sales == 1)
            #expect(n1.contribution.rank == nil)
            #expect(n1.contribution.branchCustomers == nil)
            #expect(n1.contribution.percentile == nil)
            #expect(n1.homeBranchId == nil)
            #expect(n1.tier == nil)
            #expect(n1.profileAsOf == nil)

            // asOf 2026-09-30 (before R-1): P1 0, P2 1,200, P3 1,200, P4 0, P5 −300.
            // P1: 2 above → rank 3; (1 below + 2 equal / 2) / 5 = 0.4.
            let september = try await harness.service.customerScore(customerID: "C-P1", asOf: try day("2026-09-30"))
            #expect(september.contribution.total == .zero)
            #expect(september.contribution.rank == 3)
            #expect(september.contribution.percentile == 40.0)
        }
    }

    @Test("G-05 percentile = 100 × (below + equal / 2) / N to one decimal; nil for an empty population")
    func percentileFormula() {
        #expect(ScoringService.percentile(below: 4, equal: 1, of: 5) == 90.0)  // 4.5 / 5
        #expect(ScoringService.percentile(below: 2, equal: 1, of: 3) == 83.3)  // 2.5 / 3 = 0.8333…
        #expect(ScoringService.percentile(below: 0, equal: 1, of: 3) == 16.7)  // 0.5 / 3 = 0.1666…
        #expect(ScoringService.percentile(below: 1, equal: 2, of: 6) == 33.3)  // 2 / 6 = 0.3333…
        #expect(ScoringService.percentile(below: 0, equal: 1, of: 8) == 6.3)  // 0.5 / 8 = 6.25 %, half away from 0
        #expect(ScoringService.percentile(below: 0, equal: 1, of: 1) == 50.0)
        #expect(ScoringService.percentile(below: 0, equal: 4, of: 4) == 50.0)  // everybody tied
        #expect(ScoringService.percentile(below: 0, equal: 0, of: 0) == nil)
    }

    @Test(
        "G-05 an unknown customer is a 404; a customer known only by a sale outside the window has a zero contribution")
    func unknownCustomer() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(try profile("C-U1", aum: "400000.00", asOf: "2026-11-01"))
            try await harness.deliver(
                try sale("U-1", customer: "C-U2", deposit: "10.00", at: "2024-01-05T10:00:00.000+08:00"))
            let error = await #expect(throws: APIError.self) {
                try await harness.service.customerScore(customerID: "C-NOBODY", asOf: try day("2026-11-23"))
            }
            #expect(error?.status == Self.notFound)
            #expect(error?.error == "not_found")

            let old = try await harness.service.customerScore(customerID: "C-U2", asOf: try day("2026-11-23"))
            #expect(old.contribution.total == .zero)
            #expect(old.contribution.sales == 0)
            #expect(old.contribution.from == (try day("2025-11-24")))

            // A profile and no sale: zero, ranked alone.
            let alone = try await harness.service.customerScore(customerID: "C-U1", asOf: try day("2026-11-23"))
            #expect(alone.contribution.total == .zero)
            #expect(alone.contribution.rank == 1)
            #expect(alone.contribution.percentile == 50.0)
        }
    }

    @Test("G-05 SCORING_CONTRIBUTION_MONTHS=3 narrows the window to the 3 months ending at asOf")
    func contributionMonths() async throws {
        try await ServiceHarness<ScoringService>.run(environment: ["SCORING_CONTRIBUTION_MONTHS": "3"]) { harness in
            try await harness.deliver(try profile("C-M1", aum: "400000.00", asOf: "2026-11-01"))
            // asOf 2026-11-23 − 3 months = 2026-08-23, so the window is 2026-08-24 … 2026-11-23.
            try await harness.deliver(
                try sale("M-1", customer: "C-M1", fee: "10.00", at: "2026-08-24T09:00:00.000+08:00"))
            try await harness.deliver(
                try sale("M-2", customer: "C-M1", fee: "1000.00", at: "2026-08-23T20:00:00.000+08:00"))
            try await harness.deliver(
                try sale("M-3", customer: "C-M1", deposit: "5.50", at: "2026-10-01T09:00:00.000+08:00"))
            let c = try await harness.service.customerScore(customerID: "C-M1", asOf: try day("2026-11-23"))
                .contribution
            #expect(c.from == (try day("2026-08-24")))
            #expect(c.to == (try day("2026-11-23")))
            // 10.00 + 5.50 = 15.50 (M-2 is the day before the window)
            #expect(c.total == (try cny("15.50")))
            #expect(c.feeIncome == (try cny("10.00")))
            #expect(c.depositProfit == (try cny("5.50")))
            #expect(c.sales == 2)
        }
    }

    // MARK: - G-09 financial-health ratios

    @Test(
        "G-09 the six ratios by hand; net assets = total − liabilities; savings and investment informational"
    )
    func sixRatios() throws {
        let financials = CustomerProfile.V1.Financials(
            totalAssets: try cny("2000000.00"), totalLiabilities: try cny("600000.00"),
            liquidAssets: try cny("90000.00"), monthlyExpenses: try cny("20000.00"),
            annualPreTaxIncome: try cny("400000.00"), periodDebtService: try cny("120000.00"),
            afterTaxIncome: try cny("300000.00"), surplus: try cny("60000.00"),
            investmentAssets: try cny("700000.00"))
        let ratios = FinancialHealth.ratios(financials, debtServicePeriodMonths: 12)
        #expect(
            ratios.map(\.name) == [
                "solvency", "debtToAssets", "debtServiceToIncome", "liquidity", "savings", "investmentToNetAssets",
            ])
        #expect(ratios.allSatisfy { $0.ruleId == "G-09" && !$0.atBoundary && $0.unknownBecause == nil })

        // net assets = 2,000,000 − 600,000 = 1,400,000; 1,400,000 / 2,000,000 = 0.7 > 0.5
        let solvency = try ratio("solvency", in: ratios)
        #expect(solvency.value == "0.7")
        #expect(solvency.status == .healthy)
        #expect(solvency.healthyWhen == "> 0.5")
        #expect(solvency.formula == "netAssets / totalAssets")
        // 600,000 / 2,000,000 = 0.3 < 0.5 (and 0.7 + 0.3 = 1)
        let debt = try ratio("debtToAssets", in: ratios)
        #expect(debt.value == "0.3")
        #expect(debt.status == .healthy)
        #expect(debt.healthyWhen == "< 0.5")
        // 120,000 / (400,000 × 12 / 12) = 0.3 < 0.4
        let service = try ratio("debtServiceToIncome", in: ratios)
        #expect(service.value == "0.3")
        #expect(service.status == .healthy)
        #expect(service.healthyWhen == "< 0.4")
        #expect(service.formula == "periodDebtService / (annualPreTaxIncome × 12 / 12)")
        // 90,000 / 20,000 = 4.5 > 3
        let liquidity = try ratio("liquidity", in: ratios)
        #expect(liquidity.value == "4.5")
        #expect(liquidity.status == .healthy)
        #expect(liquidity.healthyWhen == "> 3")
        // 60,000 / 300,000 = 0.2, no threshold
        let savings = try ratio("savings", in: ratios)
        #expect(savings.value == "0.2")
        #expect(savings.status == .informational)
        #expect(savings.healthyWhen == nil)
        // 700,000 / 1,400,000 = 0.5, no threshold
        let investment = try ratio("investmentToNetAssets", in: ratios)
        #expect(investment.value == "0.5")
        #expect(investment.status == .informational)
        #expect(investment.healthyWhen == nil)

        // Values to 4 places, half away from zero; netAssets as given wins over total − liabilities.
        let thirds = FinancialHealth.ratios(
            .init(
                totalAssets: try cny("900000.00"), totalLiabilities: try cny("100000.00"),
                netAssets: try cny("600000.00"), liquidAssets: try cny("100000.00"),
                monthlyExpenses: try cny("30000.00"), afterTaxIncome: try cny("300000.00"),
                surplus: try cny("-45000.00"), investmentAssets: try cny("400000.00")),
            debtServicePeriodMonths: 12)
        // 600,000 / 900,000 = 0.6666… → 0.6667 (not (900,000 − 100,000) / 900,000 = 0.8889)
        #expect(try ratio("solvency", in: thirds).value == "0.6667")
        // 100,000 / 900,000 = 0.1111…
        #expect(try ratio("debtToAssets", in: thirds).value == "0.1111")
        // 100,000 / 30,000 = 3.3333… > 3
        #expect(try ratio("liquidity", in: thirds).value == "3.3333")
        #expect(try ratio("liquidity", in: thirds).status == .healthy)
        // −45,000 / 300,000 = −0.15 (a negative surplus is a real value)
        #expect(try ratio("savings", in: thirds).value == "-0.15")
        #expect(try ratio("savings", in: thirds).status == .informational)
        // 400,000 / 600,000 = 0.6666… → 0.6667
        #expect(try ratio("investmentToNetAssets", in: thirds).value == "0.6667")

        // Half away from zero at the 4th place: ±1 / 20,000 = ±0.00005 → ±0.0001; −1 / 100,000,000 → 0.
        let halves = FinancialHealth.ratios(
            .init(
                netAssets: try cny("100000000.00"), liquidAssets: try cny("1.00"), monthlyExpenses: try cny("20000.00"),
                afterTaxIncome: try cny("20000.00"), surplus: try cny("-1.00"), investmentAssets: try cny("0.01")),
            debtServicePeriodMonths: 12)
        #expect(try ratio("liquidity", in: halves).value == "0.0001")
        #expect(try ratio("savings", in: halves).value == "-0.0001")
        // 0.01 / 100,000,000 = 0.0000000001 → 0
        #expect(try ratio("investmentToNetAssets", in: halves).value == "0")

        // Liabilities above assets: net −250,000; −250,000 / 1,000,000 = −0.25; 1,250,000 / 1,000,000 = 1.25.
        let underwater = FinancialHealth.ratios(
            .init(totalAssets: try cny("1000000.00"), totalLiabilities: try cny("1250000.00")),
            debtServicePeriodMonths: 12)
        #expect(try ratio("solvency", in: underwater).value == "-0.25")
        #expect(try ratio("solvency", in: underwater).status == .attention)
        #expect(try ratio("debtToAssets", in: underwater).value == "1.25")
        #expect(try ratio("debtToAssets", in: underwater).status == .attention)
    }

    @Test(
        "G-09 J-14 exactly 0.5, 0.5, 0.4 and 3 are attention at the boundary; just inside healthy, outside attention"
    )
    func ratioBoundaries() throws {
        // 500,000 / 1,000,000 = 0.5 both ways; 40,000 / 100,000 = 0.4; 60,000 / 20,000 = 3.
        let onBoundary = FinancialHealth.ratios(
            .init(
                totalAssets: try cny("1000000.00"), totalLiabilities: try cny("500000.00"),
                liquidAssets: try cny("60000.00"), monthlyExpenses: try cny("20000.00"),
                annualPreTaxIncome: try cny("100000.00"), periodDebtService: try cny("40000.00")),
            debtServicePeriodMonths: 12)
        for (name, value) in [
            ("solvency", "0.5"), ("debtToAssets", "0.5"), ("debtServiceToIncome", "0.4"), ("liquidity", "3"),
        ] {
            let r = try ratio(name, in: onBoundary)
            #expect(r.value == value, "\(name)")
            #expect(r.status == .attention, "\(name)")
            #expect(r.atBoundary, "\(name)")
        }

        // Just inside: liabilities 499,900 → 0.4999 and net 500,100 → 0.5001; 39,990 / 100,000 = 0.3999;
        // 60,010 / 20,000 = 3.0005.
        let inside = FinancialHealth.ratios(
            .init(
                totalAssets: try cny("1000000.00"), totalLiabilities: try cny("499900.00"),
                liquidAssets: try cny("60010.00"), monthlyExpenses: try cny("20000.00"),
                annualPreTaxIncome: try cny("100000.00"), periodDebtService: try cny("39990.00")),
            debtServicePeriodMonths: 12)
        for (name, value) in [
            ("solvency", "0.5001"), ("debtToAssets", "0.4999"), ("debtServiceToIncome", "0.3999"),
            ("liquidity", "3.0005"),
        ] {
            let r = try ratio(name, in: inside)
            #expect(r.value == value, "\(name)")
            #expect(r.status == .healthy, "\(name)")
            #expect(!r.atBoundary, "\(name)")
        }

        // One fen inside: the status follows the exact value, though 4 places show the boundary.
        // 499,999.99 / 1,000,000 = 0.49999999; 500,000.01 / 1,000,000 = 0.50000001;
        // 39,999.99 / 100,000 = 0.3999999; 60,000.01 / 20,000 = 3.0000005.
        let fen = FinancialHealth.ratios(
            .init(
                totalAssets: try cny("1000000.00"), totalLiabilities: try cny("499999.99"),
                liquidAssets: try cny("60000.01"), monthlyExpenses: try cny("20000.00"),
                annualPreTaxIncome: try cny("100000.00"), periodDebtService: try cny("39999.99")),
            debtServicePeriodMonths: 12)
        for (name, value) in [
            ("solvency", "0.5"), ("debtToAssets", "0.5"), ("debtServiceToIncome", "0.4"), ("liquidity", "3"),
        ] {
            let r = try ratio(name, in: fen)
            #expect(r.value == value, "\(name)")
            #expect(r.status == .healthy, "\(name)")
            #expect(!r.atBoundary, "\(name)")
        }

        // Just outside: liabilities 500,100 → 0.5001 and net 499,900 → 0.4999; 40,010 / 100,000 = 0.4001;
        // 59,990 / 20,000 = 2.9995.
        let outside = FinancialHealth.ratios(
            .init(
                totalAssets: try cny("1000000.00"), totalLiabilities: try cny("500100.00"),
                liquidAssets: try cny("59990.00"), monthlyExpenses: try cny("20000.00"),
                annualPreTaxIncome: try cny("100000.00"), periodDebtService: try cny("40010.00")),
            debtServicePeriodMonths: 12)
        for (name, value) in [
            ("solvency", "0.4999"), ("debtToAssets", "0.5001"), ("debtServiceToIncome", "0.4001"),
            ("liquidity", "2.9995"),
        ] {
            let r = try ratio(name, in: outside)
            #expect(r.value == value, "\(name)")
            #expect(r.status == .attention, "\(name)")
            #expect(!r.atBoundary, "\(name)")
        }
    }

    @Test("G-09 a missing input or a zero denominator makes a ratio unknown with the reason, never zero")
    func unknownRatios() throws {
        let none = FinancialHealth.ratios(nil, debtServicePeriodMonths: 12)
        let reasons = [
            ("solvency", "missing netAssets and totalAssets"),
            ("debtToAssets", "missing totalLiabilities and totalAssets"),
            ("debtServiceToIncome", "missing periodDebtService and annualPreTaxIncome"),
            ("liquidity", "missing liquidAssets and monthlyExpenses"),
            ("savings", "missing surplus and afterTaxIncome"),
            ("investmentToNetAssets", "missing investmentAssets and netAssets"),
        ]
        for (name, reason) in reasons {
            let r = try ratio(name, in: none)
            #expect(r.status == .unknown, "\(name)")
            #expect(r.value == nil, "\(name)")
            #expect(r.unknownBecause == reason, "\(name)")
            #expect(!r.atBoundary, "\(name)")
        }
        // Empty financials are the same as none.
        #expect(FinancialHealth.ratios(.init(), debtServicePeriodMonths: 12) == none)

        // Total assets alone: no liabilities, so no derived net assets either.
        let totalOnly = FinancialHealth.ratios(.init(totalAssets: try cny("1000000.00")), debtServicePeriodMonths: 12)
        #expect(try ratio("solvency", in: totalOnly).unknownBecause == "missing netAssets")
        #expect(try ratio("debtToAssets", in: totalOnly).unknownBecause == "missing totalLiabilities")
        #expect(try ratio("solvency", in: totalOnly).value == nil)

        // Net assets given without total assets: solvency unknown, investment known (400,000 / 800,000 = 0.5).
        let netOnly = FinancialHealth.ratios(
            .init(netAssets: try cny("800000.00"), investmentAssets: try cny("400000.00")), debtServicePeriodMonths: 12)
        #expect(try ratio("solvency", in: netOnly).unknownBecause == "missing totalAssets")
        #expect(try ratio("investmentToNetAssets", in: netOnly).value == "0.5")
        #expect(try ratio("investmentToNetAssets", in: netOnly).status == .informational)
        // One side of a ratio only.
        let half = FinancialHealth.ratios(
            .init(monthlyExpenses: try cny("10000.00"), periodDebtService: try cny("500.00")),
            debtServicePeriodMonths: 12)
        #expect(try ratio("liquidity", in: half).unknownBecause == "missing liquidAssets")
        #expect(try ratio("debtServiceToIncome", in: half).unknownBecause == "missing annualPreTaxIncome")

        // Zero denominators.
        let zeros = FinancialHealth.ratios(
            .init(
                totalAssets: try cny("0.00"), totalLiabilities: try cny("0.00"), liquidAssets: try cny("5000.00"),
                monthlyExpenses: try cny("0.00"), annualPreTaxIncome: try cny("0.00"),
                periodDebtService: try cny("100.00"), afterTaxIncome: try cny("0.00"), surplus: try cny("10.00"),
                investmentAssets: try cny("100.00")),
            debtServicePeriodMonths: 12)
        let zeroReasons = [
            ("solvency", "totalAssets is zero"), ("debtToAssets", "totalAssets is zero"),
            ("debtServiceToIncome", "annualPreTaxIncome is zero"), ("liquidity", "monthlyExpenses is zero"),
            ("savings", "afterTaxIncome is zero"),
            // net assets = 0 − 0 = 0
            ("investmentToNetAssets", "netAssets is zero"),
        ]
        for (name, reason) in zeroReasons {
            let r = try ratio(name, in: zeros)
            #expect(r.status == .unknown, "\(name)")
            #expect(r.value == nil, "\(name)")
            #expect(r.unknownBecause == reason, "\(name)")
        }

        // A zero numerator is a real value: 0 / 10,000 = 0 < 3.
        let broke = FinancialHealth.ratios(
            .init(liquidAssets: try cny("0.00"), monthlyExpenses: try cny("10000.00")), debtServicePeriodMonths: 12)
        #expect(try ratio("liquidity", in: broke).value == "0")
        #expect(try ratio("liquidity", in: broke).status == .attention)
        #expect(try ratio("liquidity", in: broke).unknownBecause == nil)
    }

    @Test("G-09 SCORING_DEBT_SERVICE_PERIOD_MONTHS=1 scales the annual income to a month, through customerScore")
    func debtServicePeriod() async throws {
        let financials = CustomerProfile.V1.Financials(
            annualPreTaxIncome: try cny("120000.00"), periodDebtService: try cny("4000.00"))
        try await ServiceHarness<ScoringService>.run(environment: ["SCORING_DEBT_SERVICE_PERIOD_MONTHS": "1"]) {
            harness in
            try await harness.deliver(try profile("C-D1", aum: "400000.00", asOf: "2026-11-01", financials: financials))
            let score = try await harness.service.customerScore(customerID: "C-D1", asOf: try day("2026-11-23"))
            #expect(score.financialHealth.asOf == (try day("2026-11-01")))
            // 4,000 / (120,000 × 1 / 12 = 10,000) = 0.4: on the boundary.
            let r = try ratio("debtServiceToIncome", in: score.financialHealth.ratios)
            #expect(r.value == "0.4")
            #expect(r.status == .attention)
            #expect(r.atBoundary)
            #expect(r.formula == "periodDebtService / (annualPreTaxIncome × 1 / 12)")
        }
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(try profile("C-D1", aum: "400000.00", asOf: "2026-11-01", financials: financials))
            let score = try await harness.service.customerScore(customerID: "C-D1", asOf: try day("2026-11-23"))
            // Default: a year. 4,000 / 120,000 = 0.0333…
            let r = try ratio("debtServiceToIncome", in: score.financialHealth.ratios)
            #expect(r.value == "0.0333")
            #expect(r.status == .healthy)
        }
        // A quarter: 15,000 / (120,000 × 3 / 12 = 30,000) = 0.5 > 0.4.
        let quarter = FinancialHealth.ratios(
            .init(annualPreTaxIncome: try cny("120000.00"), periodDebtService: try cny("15000.00")),
            debtServicePeriodMonths: 3)
        #expect(try ratio("debtServiceToIncome", in: quarter).value == "0.5")
        #expect(try ratio("debtServiceToIncome", in: quarter).status == .attention)
        #expect(!(try ratio("debtServiceToIncome", in: quarter).atBoundary))
    }

    @Test(
        "G-09 customerScore shows the ratios of the latest profile with its date; without a profile all six are unknown"
    )
    func ratiosThroughScore() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            let older = CustomerProfile.V1.Financials(
                totalAssets: try cny("1000000.00"), totalLiabilities: try cny("800000.00"))
            let latest = CustomerProfile.V1.Financials(
                totalAssets: try cny("2000000.00"), totalLiabilities: try cny("600000.00"),
                liquidAssets: try cny("90000.00"), monthlyExpenses: try cny("20000.00"))
            try await harness.deliver(try profile("C-H1", aum: "400000.00", asOf: "2026-11-01", financials: older))
            try await harness.deliver(try profile("C-H1", aum: "400000.00", asOf: "2026-11-10", financials: latest))
            // A stale snapshot does not replace the figures.
            try await harness.deliver(try profile("C-H1", aum: "400000.00", asOf: "2026-11-05", financials: older))

            let score = try await harness.service.customerScore(customerID: "C-H1", asOf: try day("2026-11-23"))
            #expect(score.financialHealth.asOf == (try day("2026-11-10")))
            let ratios = score.financialHealth.ratios
            #expect(ratios == FinancialHealth.ratios(latest, debtServicePeriodMonths: 12))
            // (2,000,000 − 600,000) / 2,000,000 = 0.7; 600,000 / 2,000,000 = 0.3; 90,000 / 20,000 = 4.5.
            #expect(try ratio("solvency", in: ratios).value == "0.7")
            #expect(try ratio("debtToAssets", in: ratios).value == "0.3")
            #expect(try ratio("liquidity", in: ratios).value == "4.5")
            #expect(try ratio("savings", in: ratios).status == .unknown)
            #expect(try ratio("savings", in: ratios).unknownBecause == "missing surplus and afterTaxIncome")

            try await harness.deliver(
                try sale("H1-S1", customer: "C-H2", fee: "1.00", at: "2026-11-02T10:00:00.000+08:00"))
            let unknown = try await harness.service.customerScore(customerID: "C-H2", asOf: try day("2026-11-23"))
            #expect(unknown.financialHealth.asOf == nil)
            #expect(unknown.financialHealth.ratios.count == 6)
            #expect(unknown.financialHealth.ratios.allSatisfy { $0.status == .unknown && $0.value == nil })
        }
    }

    // MARK: - H-04 compliance

    @Test(
        "H-04 findings: missing, not in person, after the sale, no derivatives experience; deposits never checked"
    )
    func findingsPure() throws {
        let soldAt = try ts("2026-11-20T10:00:00.000+08:00")
        let good = try assessed("2026-11-20T09:00:00.000+08:00")
        let noProfile: ScoringService.ExperienceOnRecord? = nil
        let inexperienced = ScoringService.ExperienceOnRecord(experienced: false, asOf: try day("2026-11-01"))
        let unstated = ScoringService.ExperienceOnRecord(experienced: nil, asOf: try day("2026-11-01"))
        let experienced = ScoringService.ExperienceOnRecord(experienced: true, asOf: try day("2026-11-01"))
        let cases:
            [(
                String, ProductType, ProductSold.V1.RiskAssessment?, ScoringService.ExperienceOnRecord?,
                Set<ComplianceCheck>
            )] = [
                ("wealth, no assessment", .wealth, nil, experienced, [.riskAssessmentMissing]),
                (
                    "fund, empty assessment", .fund, ProductSold.V1.RiskAssessment(), experienced,
                    [.riskAssessmentMissing]
                ),
                ("wealth, signed in person before", .wealth, good, noProfile, []),
                ("fund, signed in person before", .fund, good, noProfile, []),
                (
                    "wealth, not in person", .wealth, try assessed("2026-11-19T10:00:00.000+08:00", inPerson: false),
                    nil, [.riskAssessmentNotInPerson]
                ),
                (
                    "fund, in person absent", .fund, try assessed("2026-11-19T10:00:00.000+08:00", inPerson: nil), nil,
                    [.riskAssessmentNotInPerson]
                ),
                (
                    "wealth, 1 ms after", .wealth, try assessed("2026-11-20T10:00:00.001+08:00"), nil,
                    [.riskAssessmentAfterSale]
                ),
                ("wealth, same instant", .wealth, try assessed("2026-11-20T02:00:00.000Z"), nil, []),
                (
                    "wealth, not in person and after", .wealth,
                    try assessed("2026-11-21T09:00:00.000+08:00", inPerson: false), nil,
                    [.riskAssessmentNotInPerson, .riskAssessmentAfterSale]
                ),
                ("deposit, nothing", .deposit, nil, nil, []),
                ("insurance, nothing", .insurance, nil, nil, []),
                ("loan, nothing", .loan, nil, nil, []),
                (
                    "deposit, not in person and after", .deposit,
                    try assessed("2026-11-21T09:00:00.000+08:00", inPerson: false), nil, []
                ),
                ("derivative, no profile", .derivativeLinked, good, noProfile, [.noDerivativesExperience]),
                ("derivative, experience false", .derivativeLinked, good, inexperienced, [.noDerivativesExperience]),
                ("derivative, experience not stated", .derivativeLinked, good, unstated, [.noDerivativesExperience]),
                ("derivative, experience true", .derivativeLinked, good, experienced, []),
                (
                    "derivative, nothing at all", .derivativeLinked, nil, nil,
                    [.riskAssessmentMissing, .noDerivativesExperience]
                ),
                ("wealth, inexperienced", .wealth, good, inexperienced, []),
            ]
        for (label, type, assessment, experience, expected) in cases {
            let findings = ScoringService.complianceFindings(
                productType: type, assessment: assessment, soldAt: soldAt, experience: experience)
            #expect(Set(findings.keys) == expected, "\(label)")
            #expect(findings.values.allSatisfy { $0.contains("H-04") }, "\(label)")
        }
    }

    @Test(
        "H-04 each finding: one compliance-breach (raised, H-04, saleId/check, the sale's manager), one raised row"
    )
    func breachEvents() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(try profile("C-C1", aum: "400000.00", asOf: "2026-11-01", experience: false))
            let soldAt = "2026-11-20T10:00:00.000+08:00"

            let wealth = try sale("S-W1", customer: "C-C1", manager: "WM001", .wealth, wealth: "100.00", at: soldAt)
            let out = try await harness.deliver(wealth, id: "sale-w1")
            let breaches = out.payloads(ComplianceBreach.V1.self)
            #expect(out.count == 1)
            let breach = try #require(breaches.first)
            #expect(breach.breachId == "S-W1/risk_assessment_missing")
            #expect(breach.saleId == "S-W1")
            #expect(breach.customerId == "C-C1")
            #expect(breach.managerId == "WM001")
            #expect(breach.branchId == "SH001")
            #expect(breach.productType == .wealth)
            #expect(breach.check == .riskAssessmentMissing)
            #expect(breach.ruleId == "H-04")
            #expect(breach.status == .raised)
            #expect(breach.saleAt == (try ts(soldAt)))
            #expect(breach.detail.contains("H-04"))
            #expect(out.first?.subject == "customer/C-C1")

            // A fund assessed after the sale and not in person: two findings, two events.
            let fund = try sale(
                "S-F1", customer: "C-C1", manager: "WM002", .fund, at: soldAt,
                assessment: try assessed("2026-11-20T11:00:00.000+08:00", inPerson: false))
            let fundOut = try await harness.deliver(fund).payloads(ComplianceBreach.V1.self)
            #expect(
                fundOut.map(\.breachId).sorted() == [
                    "S-F1/risk_assessment_after_sale", "S-F1/risk_assessment_not_in_person",
                ])
            #expect(fundOut.allSatisfy { $0.status == .raised && $0.managerId == "WM002" && $0.ruleId == "H-04" })

            // A derivative-linked sale, properly assessed, to a customer whose profile of 11-01 says no experience.
            let derivative = try sale(
                "S-D1", customer: "C-C1", manager: "WM001", .derivativeLinked, at: soldAt,
                assessment: try assessed("2026-11-19T10:00:00.000+08:00"))
            let derivativeOut = try await harness.deliver(derivative).payloads(ComplianceBreach.V1.self)
            #expect(derivativeOut.map(\.breachId) == ["S-D1/no_derivatives_experience"])
            #expect(derivativeOut.first?.detail.contains("2026-11-01") == true)

            // Signed in person not stated: not in person. Assessed at the very instant of the sale: not after it.
            let unsigned = try await harness.deliver(
                try sale(
                    "S-W2", customer: "C-C1", manager: "WM001", .wealth, at: soldAt,
                    assessment: try assessed(soldAt, inPerson: nil)))
            #expect(
                unsigned.payloads(ComplianceBreach.V1.self).map(\.breachId) == ["S-W2/risk_assessment_not_in_person"])

            // A derivative-linked sale to a customer whose profile of 11-01 shows experience: no finding.
            try await harness.deliver(try profile("C-C2", aum: "400000.00", asOf: "2026-11-01", experience: true))
            let covered = try await harness.deliver(
                try sale(
                    "S-D2", customer: "C-C2", manager: "WM001", .derivativeLinked, at: soldAt,
                    assessment: try assessed("2026-11-19T10:00:00.000+08:00")))
            #expect(covered.isEmpty)

            // Deposits, insurance and loans are never checked, assessment or not.
            for (id, type) in [("S-P1", ProductType.deposit), ("S-I1", .insurance), ("S-L1", .loan)] {
                let plain = try await harness.deliver(
                    try sale(id, customer: "C-C1", type, deposit: "10.00", at: soldAt))
                #expect(plain.isEmpty, "\(type)")
            }

            // Redelivery, by id or as a new event for the same sale: nothing more.
            #expect(try await harness.deliver(wealth, id: "sale-w1").isEmpty)
            #expect(try await harness.deliver(wealth, id: "sale-w1-again").isEmpty)

            #expect(
                try await findingRows(harness) == [
                    "S-D1/no_derivatives_experience=raised@WM001", "S-F1/risk_assessment_after_sale=raised@WM002",
                    "S-F1/risk_assessment_not_in_person=raised@WM002", "S-W1/risk_assessment_missing=raised@WM001",
                    "S-W2/risk_assessment_not_in_person=raised@WM001",
                ])
            #expect(try await scalar(harness.client, "SELECT count(*) FROM sales") == 8)
        }
    }

    @Test(
        "H-04 a profile dated on or before the sale, read after it, withdraws the finding; one dated after does not"
    )
    func derivativesExperienceLater() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            // No profile at all when the sale is read. 17:00 UTC on 11-19 is 01:00 on 11-20 in Shanghai.
            let sale = try sale(
                "S-X1", customer: "C-X1", manager: "WM003", .derivativeLinked, wealth: "50.00",
                at: "2026-11-19T17:00:00.000Z", assessment: try assessed("2026-11-18T10:00:00.000+08:00"))
            let raised = try await harness.deliver(sale, id: "sale-x1").payloads(ComplianceBreach.V1.self)
            #expect(raised.map(\.breachId) == ["S-X1/no_derivatives_experience"])
            #expect(raised.first?.status == .raised)
            #expect(raised.first?.branchId == nil)
            #expect(raised.first?.managerId == "WM003")
            #expect(raised.first?.detail.contains("no profile") == true)

            // A profile dated 11-21 (after the sale's business day 11-20) with experience: changes nothing.
            let after = try await harness.deliver(
                try profile("C-X1", aum: "400000.00", asOf: "2026-11-21", experience: true))
            #expect(after.payloads(ComplianceBreach.V1.self).isEmpty)
            #expect(after.payloads(CustomerTierChanged.V1.self).map(\.tier) == [.a])
            #expect(try await findingRows(harness) == ["S-X1/no_derivatives_experience=raised@WM003"])

            // A profile dated 11-20 (the sale's own Shanghai date) without experience: the finding stands.
            let sameDayNo = try await harness.deliver(
                try profile("C-X1", aum: "400000.00", asOf: "2026-11-20", experience: false))
            #expect(sameDayNo.isEmpty)

            // The 11-20 profile corrected to show experience, read later: the finding is withdrawn.
            let sameDayYes = try await harness.deliver(
                try profile("C-X1", aum: "400000.00", asOf: "2026-11-20", experience: true))
            let withdrawn = sameDayYes.payloads(ComplianceBreach.V1.self)
            #expect(sameDayYes.count == 1)
            #expect(withdrawn.map(\.breachId) == ["S-X1/no_derivatives_experience"])
            #expect(withdrawn.first?.status == .withdrawn)
            #expect(withdrawn.first?.check == .noDerivativesExperience)
            #expect(withdrawn.first?.ruleId == "H-04")
            #expect(withdrawn.first?.managerId == "WM003")
            #expect(withdrawn.first?.branchId == "SH001")
            #expect(withdrawn.first?.saleAt.isSameInstant(as: try ts("2026-11-20T01:00:00.000+08:00")) == true)
            #expect(try await findingRows(harness) == ["S-X1/no_derivatives_experience=withdrawn@WM003"])

            // The stale 11-20 profile did not replace the stored 11-21 one.
            let score = try await harness.service.customerScore(customerID: "C-X1", asOf: try day("2026-11-23"))
            #expect(score.profileAsOf == (try day("2026-11-21")))

            // Redelivering the sale, or another later-dated profile, announces nothing more.
            #expect(try await harness.deliver(sale, id: "sale-x1").isEmpty)
            #expect(try await harness.deliver(sale, id: "sale-x1-again").isEmpty)
            #expect(
                try await harness.deliver(try profile("C-X1", aum: "400000.00", asOf: "2026-11-22", experience: false))
                    .isEmpty)
            #expect(try await findingRows(harness) == ["S-X1/no_derivatives_experience=withdrawn@WM003"])
        }
    }

    @Test("H-04 a finding withdrawn by an earlier profile is raised again by a later one still on or before the sale")
    func derivativesExperienceRaisedAgain() async throws {
        try await ServiceHarness<ScoringService>.run { harness in
            try await harness.deliver(try profile("C-Y1", aum: "400000.00", asOf: "2026-11-01", experience: false))
            let sale = try sale(
                "S-Y1", customer: "C-Y1", manager: "WM001", .derivativeLinked, at: "2026-11-20T10:00:00.000+08:00",
                assessment: try assessed("2026-11-19T10:00:00.000+08:00"))
            #expect(
                try await harness.deliver(sale).payloads(ComplianceBreach.V1.self).map(\.status) == [.raised])
            // 11-15 ≤ 11-20 shows experience: withdrawn.
            let yes = try await harness.deliver(
                try profile("C-Y1", aum: "400000.00", asOf: "2026-11-15", experience: true))
            #expect(yes.payloads(ComplianceBreach.V1.self).map(\.status) == [.withdrawn])
            // 11-18 ≤ 11-20 says no experience again: it is now the latest on record, so raised again.
            let no = try await harness.deliver(
                try profile("C-Y1", aum: "400000.00", asOf: "2026-11-18", experience: false))
            #expect(no.payloads(ComplianceBreach.V1.self).map(\.status) == [.raised])
            #expect(no.payloads(ComplianceBreach.V1.self).map(\.breachId) == ["S-Y1/no_derivatives_experience"])
            #expect(try await findingRows(harness) == ["S-Y1/no_derivatives_experience=raised@WM001"])
        }
    }

    // MARK: - Rebuild from the topics

    /// One consumed event with its fixed CloudEvents id.
    struct Replayed: Sendable {
        var id: String
        var event: any EventData
        var topic: String { type(of: event).topic }
        /// Kafka keeps order only within a topic partition, that is per key per topic.
        var stream: String { "\(topic)|\(event.partitionKey)" }
    }

    /// About forty events of November 2026 in the order they happened.
    private func history() throws -> [Replayed] {
        func staff(
            _ id: String, _ role: StaffRole, _ status: StaffStatus = .active,
            at: String = "2026-01-05T09:00:00.000+08:00"
        )
            throws -> StaffUpdated.V1
        {
            StaffUpdated.V1(staffId: id, branchId: "SH001", role: role, status: status, effectiveAt: try ts(at))
        }
        func assigned(_ customer: String, to manager: String, at: String) throws -> ManagerAssigned.V1 {
            ManagerAssigned.V1(
                customerId: customer, managerId: manager, branchId: "SH001", serviceTeam: [manager], reason: .new,
                at: try ts(at))
        }
        func contact(
            _ id: String, _ customer: String, _ manager: String, _ kind: ContactKind, proactive: Bool, at: String
        )
            throws -> ContactLogged.V1
        {
            ContactLogged.V1(
                activityId: id, customerId: customer, managerId: manager, kind: kind, proactive: proactive,
                at: try ts(at))
        }
        func opened(_ id: String, _ source: CaseSource, customer: String, at: String) throws -> CaseOpened.V1 {
            let receivedAt = try ts(at)
            return CaseOpened.V1(
                caseId: id, source: source, externalRef: "REF-\(id)", customerId: customer, branchId: "SH001",
                category: "waiting_time", severity: .normal,
                replyDueAt: receivedAt.adding(milliseconds: 3 * 86_400_000),
                level: .frontLine, receivedAt: receivedAt, resolvedOnSpot: false)
        }
        let good = try assessed("2026-11-01T10:00:00.000+08:00")
        let financials = CustomerProfile.V1.Financials(
            totalAssets: try cny("2000000.00"), totalLiabilities: try cny("600000.00"),
            liquidAssets: try cny("90000.00"), monthlyExpenses: try cny("20000.00"))
        let events: [any EventData] = [
            try staff("WM001", .wealthManager),
            try staff("WM002", .wealthManager),
            try staff("LM001", .lobbyManager),
            try staff("MM001", .marketingManager),
            try profile("R1", aum: "1200000.00", asOf: "2026-11-01", experience: true, financials: financials),
            try profile("R2", aum: "350000.00", asOf: "2026-11-01", experience: false),
            try profile("R3", aum: "3500000.00", asOf: "2026-11-01"),
            try profile("R4", branch: "SH002", aum: "800000.00", asOf: "2026-11-01"),
            try profile("R5", aum: "200000.00", asOf: "2026-11-01", cardHolder: true),
            try assigned("R1", to: "WM001", at: "2026-11-02T10:00:00.000+08:00"),
            try assigned("R2", to: "WM001", at: "2026-11-02T10:00:00.000+08:00"),
            try assigned("R3", to: "WM002", at: "2026-11-02T10:00:00.000+08:00"),
            try assigned("R5", to: "WM002", at: "2026-11-02T10:00:00.000+08:00"),
            try contact("A1", "R1", "WM001", .call, proactive: true, at: "2026-11-03T10:00:00.000+08:00"),
            try sale(
                "S1", customer: "R1", manager: "WM001", .deposit, deposit: "1000.00",
                at: "2026-11-05T10:00:00.000+08:00"),
            try sale(
                "S2", customer: "R1", manager: "WM001", .wealth, wealth: "2500.00", fee: "100.00",
                at: "2026-11-06T10:00:00.000+08:00", assessment: good),
            try contact("A2", "R1", "WM001", .meeting, proactive: false, at: "2026-11-06T15:00:00.000+08:00"),
            TaskScheduled.V1(
                taskId: "T1", customerId: "R1", managerId: "WM001", kind: .maintenanceContact,
                dueAt: try ts("2026-11-10T18:00:00.000+08:00"), ruleId: "E-03", sourceEventId: "src-1"),
            TaskCompleted.V1(
                taskId: "T1", customerId: "R1", managerId: "WM001", kind: .maintenanceContact,
                completedAt: try ts("2026-11-09T11:00:00.000+08:00"), onTime: true),
            try sale(
                "S4", customer: "R3", manager: "WM002", .fund, wealth: "1200.00", at: "2026-11-10T10:00:00.000+08:00"),
            try contact("A3", "R2", "WM001", .message, proactive: true, at: "2026-11-10T11:00:00.000+08:00"),
            // A walk-in task without a customer (keyed by its visit), reassigned under the customer's key.
            TaskScheduled.V1(
                taskId: "T2", customerId: nil, managerId: "WM002", kind: .receiveWalkIn,
                dueAt: try ts("2026-11-12T17:00:00.000+08:00"), ruleId: "C-06", sourceEventId: "src-2", visitId: "V-9"),
            TaskReassigned.V1(
                taskId: "T2", customerId: "R5", fromManagerId: "WM002", toManagerId: "WM001", reason: "on_leave",
                at: try ts("2026-11-11T09:00:00.000+08:00")),
            try contact("A4", "R3", "WM002", .visit, proactive: false, at: "2026-11-11T10:00:00.000+08:00"),
            try contact("A5", "R5", "WM002", .call, proactive: true, at: "2026-11-12T10:00:00.000+08:00"),
            try sale(
                "S6", customer: "R4", manager: "WM002", .insurance, fee: "400.00", at: "2026-11-12T10:00:00.000+08:00"),
            // To a customer without any profile: no derivatives experience on record.
            try sale(
                "S7", customer: "R6", manager: "WM002", .derivativeLinked, wealth: "600.00",
                at: "2026-11-13T10:00:00.000+08:00", assessment: good),
            try profile("R2", aum: "360000.00", asOf: "2026-11-15", experience: true),
            try staff("WM002", .wealthManager, .onLeave, at: "2026-11-16T09:00:00.000+08:00"),
            CustomerIdentified.V1(
                visitId: "V-1", branchId: "SH001", customerId: "R1", classification: .vip, tier: .b, basis: .aum,
                reasons: ["aum"], identifiedBy: "LM001", identifiedByRole: .lobbyManager,
                at: try ts("2026-11-16T09:30:00.000+08:00")),
            CustomerIdentified.V1(
                visitId: "V-2", branchId: "SH001", classification: .potential, basis: .signals, reasons: ["signals"],
                identifiedBy: "TC001", identifiedByRole: .tellerCash, at: try ts("2026-11-16T09:35:00.000+08:00")),
            ReferralRouted.V1(
                referralId: "RF-1", visitId: "V-1", customerId: "R1", managerId: "WM001",
                at: try ts("2026-11-16T09:40:00.000+08:00"), branchId: "SH001", tier: .b, classification: .vip),
            ReferralRouted.V1(
                referralId: "RF-2", visitId: "V-2", managerId: "WM002", at: try ts("2026-11-16T09:45:00.000+08:00"),
                branchId: "SH001", classification: .potential),
            try opened("K1", .branch, customer: "R1", at: "2026-11-16T10:00:00.000+08:00"),
            CaseEscalated.V1(
                caseId: "K1", fromLevel: .frontLine, toLevel: .centreHead, reason: "not resolved at the counter",
                at: try ts("2026-11-16T16:00:00.000+08:00")),
            try assigned("R3", to: "WM001", at: "2026-11-18T09:00:00.000+08:00"),
            CaseResolved.V1(caseId: "K1", at: try ts("2026-11-18T10:00:00.000+08:00")),
            try opened("K2", .callCentre, customer: "R3", at: "2026-11-19T14:00:00.000+08:00"),
            CaseResolved.V1(caseId: "K2", at: try ts("2026-11-19T14:20:00.000+08:00")),
            TaskScheduled.V1(
                taskId: "T3", customerId: nil, managerId: "WM001", kind: .followUp,
                dueAt: try ts("2026-11-20T18:00:00.000+08:00"), ruleId: "E-01", sourceEventId: "src-3",
                visitId: "V-10"),
            try sale(
                "S3", customer: "R2", manager: "WM001", .derivativeLinked, wealth: "800.00", fee: "50.00",
                at: "2026-11-20T10:00:00.000+08:00", assessment: good),
            TaskCompleted.V1(
                taskId: "T3", customerId: nil, managerId: "WM001", kind: .followUp,
                completedAt: try ts("2026-11-22T10:00:00.000+08:00"), onTime: false),
            TaskScheduled.V1(
                taskId: "T4", customerId: "R2", managerId: "WM001", kind: .portfolioReview,
                dueAt: try ts("2026-11-25T18:00:00.000+08:00"), ruleId: "E-05", sourceEventId: "src-4"),
            try sale(
                "S5", customer: "R3", manager: "WM001", .wealth, wealth: "3000.00", at: "2026-11-25T10:00:00.000+08:00",
                assessment: try assessed("2026-11-24T10:00:00.000+08:00", inPerson: false)),
        ]
        return events.enumerated().map { Replayed(id: "rebuild-\($0.offset + 1)", event: $0.element) }
    }

    /// The same events in another order Kafka could deliver them in: each stream (topic and key) keeps its own order.
    /// `drain`: whole streams one after the other, last-seen stream first; otherwise one event of each stream in turn,
    /// again from the last-seen stream.
    private func reordered(_ events: [Replayed], drain: Bool) -> [Replayed] {
        var streams: [String] = []
        var queues: [String: [Replayed]] = [:]
        for event in events {
            if queues[event.stream] == nil { streams.append(event.stream) }
            queues[event.stream, default: []].append(event)
        }
        streams.reverse()
        if drain { return streams.flatMap { queues[$0] ?? [] } }
        var result: [Replayed] = []
        var round = 0
        while result.count < events.count {
            for stream in streams where round < (queues[stream]?.count ?? 0) {
                result.append(queues[stream]![round])
            }
            round += 1
        }
        return result
    }

    private static let rebuildCustomers = ["R1", "R2", "R3", "R4", "R5", "R6"]
    private static let rebuildManagers = ["WM001", "WM002", "LM001", "MM001"]

    /// Every figure scoring shows for the events above, JSON-encoded with sorted keys.
    private func figures(_ harness: ServiceHarness<ScoringService>) async throws -> [String: Data] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let asOf = try day("2026-11-30")
        let now = try ts("2026-12-02T10:00:00.000+08:00")
        var result: [String: Data] = [:]
        for customer in Self.rebuildCustomers {
            result["score/\(customer)"] = try encoder.encode(
                try await harness.service.customerScore(customerID: customer, asOf: asOf))
        }
        for manager in Self.rebuildManagers {
            result["scorecard/\(manager)"] = try encoder.encode(
                try await harness.service.scorecard(staffID: manager, month: Month(year: 2026, month: 11), now: now))
        }
        for date in ["2026-11-16", "2026-11-19"] {
            result["daily/SH001/\(date)"] = try encoder.encode(
                try await harness.service.daily(branchID: "SH001", date: try day(date)))
        }
        for branch in ["SH001", "SH002"] {
            result["centre/\(branch)"] = try encoder.encode(
                try await harness.service.centre(branchID: branch, date: asOf))
        }
        return result
    }

    /// The hand-computed figures of the events above (asOf 2026-11-30, month 2026-11, now 2026-12-02).
    private func checkFigures(_ harness: ServiceHarness<ScoringService>) async throws {
        let asOf = try day("2026-11-30")
        let now = try ts("2026-12-02T10:00:00.000+08:00")
        let service = harness.service

        // B-03: R1 1,200,000 → B; R2 360,000 (11-15) → A; R3 3,500,000 → C; R4 800,000 → A; R5 card → A.
        var tiers: [String: Tier?] = [:]
        for customer in ["R1", "R2", "R3", "R4", "R5"] {
            tiers[customer] = try await service.customerScore(customerID: customer, asOf: asOf).tier
        }
        #expect(tiers == ["R1": .b, "R2": .a, "R3": .c, "R4": .a, "R5": .a])

        // G-05: SH001 totals R1 1,000 + 2,500 + 100 = 3,600; R2 800 + 50 = 850; R3 1,200 + 3,000 = 4,200; R5 0.
        let r1 = try await service.customerScore(customerID: "R1", asOf: asOf)
        #expect(r1.contribution.total == (try cny("3600.00")))
        #expect(r1.contribution.rank == 2)
        #expect(r1.contribution.branchCustomers == 4)
        #expect(r1.contribution.percentile == 62.5)  // (2 + 1/2) / 4
        let r3 = try await service.customerScore(customerID: "R3", asOf: asOf)
        #expect(r3.contribution.total == (try cny("4200.00")))
        #expect(r3.contribution.rank == 1)
        #expect(r3.contribution.percentile == 87.5)  // (3 + 1/2) / 4
        let r2 = try await service.customerScore(customerID: "R2", asOf: asOf)
        #expect(r2.contribution.total == (try cny("850.00")))
        #expect(r2.contribution.percentile == 37.5)  // (1 + 1/2) / 4
        #expect(r2.profileAsOf == (try day("2026-11-15")))
        let r6 = try await service.customerScore(customerID: "R6", asOf: asOf)
        #expect(r6.contribution.total == (try cny("600.00")))
        #expect(r6.contribution.rank == nil)
        // G-09: R1 (2,000,000 − 600,000) / 2,000,000 = 0.7.
        #expect(try ratio("solvency", in: r1.financialHealth.ratios).value == "0.7")

        // G-01: WM001 sold S1, S2, S3, S5: deposit 1,000; wealth 2,500 + 800 + 3,000 = 6,300; fee 100 + 50 = 150.
        let month = Month(year: 2026, month: 11)
        let wm1 = try await service.scorecard(staffID: "WM001", month: month, now: now)
        #expect(wm1.simulatedProfit.depositProfit == (try cny("1000.00")))
        #expect(wm1.simulatedProfit.wealthProfit == (try cny("6300.00")))
        #expect(wm1.simulatedProfit.feeIncome == (try cny("150.00")))
        #expect(wm1.simulatedProfit.total == (try cny("7450.00")))
        #expect(wm1.simulatedProfit.sales == 4)
        // H-04: S5 not in person; S3 to R2 is covered by R2's profile of 11-15 showing experience.
        #expect(wm1.compliance.breaches == 1)
        #expect(wm1.compliance.byCheck == ["risk_assessment_not_in_person": 1])
        // T1 on time, T3 late, T2 (reassigned in) and T4 open and overdue on 12-02: 1 / 4 = 25 %.
        #expect(wm1.tasks.due == 4)
        #expect(wm1.tasks.doneOnTime == 1)
        #expect(wm1.tasks.doneLate == 1)
        #expect(wm1.tasks.open == 2)
        #expect(wm1.tasks.overdue == 2)
        #expect(wm1.tasks.onTimePercent == 25.0)
        #expect(wm1.activity.contacts == 3)
        #expect(wm1.activity.proactiveContacts == 2)
        #expect(wm1.activity.meetings == 1)
        // November 2026: 30 days less 9 weekend days.
        #expect(wm1.period.workingDays == 21)
        #expect(wm1.walkIns.vips == 1)
        // K1 about R1 (WM001's since 11-02), K2 about R3 (WM001's since 11-18).
        #expect(wm1.complaintsAboutCustomers == 2)
        #expect(wm1.cadence.customers == 3)
        // Peers WM001 7,450 and WM002 2,200: (1 + 1/2) / 2 = 75.0.
        #expect(wm1.annual.peers == 2)
        #expect(wm1.annual.components.first?.score == 75.0)

        // WM002: S4 wealth 1,200, S6 fee 400, S7 wealth 600 → 2,200; S4 unassessed, S7 to R6 without a profile.
        let wm2 = try await service.scorecard(staffID: "WM002", month: month, now: now)
        #expect(wm2.simulatedProfit.total == (try cny("2200.00")))
        #expect(wm2.simulatedProfit.sales == 3)
        #expect(wm2.compliance.byCheck == ["risk_assessment_missing": 1, "no_derivatives_experience": 1])
        #expect(wm2.tasks.due == 0)
        #expect(wm2.walkIns.potentials == 1)
        #expect(wm2.complaintsAboutCustomers == 0)
        #expect(wm2.cadence.customers == 1)

        // C-10 on 11-16: one VIP by the lobby, one potential at the cash counter, one VIP and one potential
        // received, one complaint.
        let daily = try await service.daily(branchID: "SH001", date: try day("2026-11-16"))
        #expect(daily.vipsIdentifiedByLobby == 1)
        #expect(daily.potentialVipsIdentified == 1)
        #expect(daily.vipsIdentifiedByTellers.cash == 0)
        #expect(daily.vipsReceivedByManager == ["WM001": 1])
        #expect(daily.potentialsReceivedByManager == ["WM002": 1])
        #expect(daily.complaintsReceived == 1)

        // VIPs of SH001 R1, R2, R3, R5; products R1 deposit + wealth, R2 derivative, R3 fund + wealth = 5;
        // 5 / 4 = 1.25. G-07: K2 resolved at the front line, 1 of 1. A-15: WM002 on leave still counts.
        let centre = try await service.centre(branchID: "SH001", date: asOf)
        #expect(centre.crossSell.vipCustomers == 4)
        #expect(centre.crossSell.productsHeld == 5)
        #expect(centre.crossSell.ratio == 1.25)
        #expect(centre.firstLine.cases == 1)
        #expect(centre.firstLine.ratePercent == 100.0)
        let wealthManagers = centre.staffing.first { $0.role == "wealth_manager" }
        #expect(wealthManagers?.staffed == 2)
        #expect(wealthManagers?.onLeave == 1)
        #expect(wealthManagers?.short == true)
    }

    @Test("B-03 G-05 G-09 H-04 C-10 G-01 figures rebuilt from the same events in another order are identical")
    func rebuildInAnotherOrder() async throws {
        let original = try history()
        #expect(original.count >= 40)
        #expect(Set(original.map(\.id)).count == original.count)
        let orders = [original, reordered(original, drain: true), reordered(original, drain: false)]
        for order in orders.dropFirst() {
            // A real reordering of the same events, each stream in its own order.
            #expect(order.map(\.id) != original.map(\.id))
            #expect(order.map(\.id).sorted() == original.map(\.id).sorted())
            let streams = Set(original.map(\.stream))
            for stream in streams {
                #expect(
                    order.filter { $0.stream == stream }.map(\.id) == original.filter { $0.stream == stream }.map(\.id))
            }
        }
        // In the drained order the derivative sale to R2 is read before any profile of R2.
        let drained = orders[1].map(\.id)
        let saleS3 = original.first { ($0.event as? ProductSold.V1)?.saleId == "S3" }?.id
        let profileR2 = original.first { ($0.event as? CustomerProfile.V1)?.customerId == "R2" }?.id
        let saleRead = try #require(drained.firstIndex { $0 == saleS3 })
        let profileRead = try #require(drained.firstIndex { $0 == profileR2 })
        #expect(saleRead < profileRead)

        var results: [[String: Data]] = []
        for order in orders {
            let outputs = try await ServiceHarness<ScoringService>.run { harness in
                for item in order {
                    try await harness.deliver(item.event, id: item.id)
                }
                try await checkFigures(harness)
                return try await figures(harness)
            }
            results.append(outputs)
        }
        let first = results[0]
        // 6 customer scores + 4 scorecards + 2 days + 2 centres
        #expect(first.count == 14)
        for (index, other) in results.enumerated().dropFirst() {
            #expect(Set(other.keys) == Set(first.keys))
            for key in first.keys.sorted() {
                let a = String(decoding: first[key] ?? Data(), as: UTF8.self)
                let b = String(decoding: other[key] ?? Data(), as: UTF8.self)
                #expect(a == b, "order \(index): \(key) differs")
            }
        }
    }
}
