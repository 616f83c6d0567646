import Events
import Foundation
import PostgresNIO
import ServiceKit

/// Compliance checks on sales (rulebook H-04 items 3 and 7): a wealth, fund or derivative-linked sale needs a risk
/// assessment signed by the customer in person at the outlet, made before the sale; a derivative-linked product must
/// not go to a customer without derivatives experience.
extension ScoringService {
    /// Products that need a risk assessment before the sale (H-04 item 3).
    static let assessedProducts: Set<ProductType> = [.wealth, .fund, .derivativeLinked]

    /// The derivatives experience on record for a sale: what the latest profile dated on or before the sale's day
    /// said (`nil` when no profile that old exists).
    struct ExperienceOnRecord: Sendable, Equatable {
        var experienced: Bool?
        var asOf: BusinessDate
    }

    /// The H-04 findings for one sale, each with a sentence a person can act on (no customer data in it).
    static func complianceFindings(
        productType: ProductType, assessment: ProductSold.V1.RiskAssessment?, soldAt: Timestamp,
        experience: ExperienceOnRecord?
    ) -> [ComplianceCheck: String] {
        var findings: [ComplianceCheck: String] = [:]
        if assessedProducts.contains(productType) {
            if let assessment, assessment != ProductSold.V1.RiskAssessment() {
                if assessment.signedInPerson != true {
                    findings[.riskAssessmentNotInPerson] =
                        "the risk assessment behind this \(productType.rawValue) sale was not signed by the customer "
                        + "in person at the outlet (H-04 item 3)"
                }
                if let assessedAt = assessment.assessedAt, assessedAt.date > soldAt.date {
                    findings[.riskAssessmentAfterSale] =
                        "the risk assessment is dated \(assessedAt.rfc3339), after the sale at \(soldAt.rfc3339); "
                        + "it must come before (H-04 item 3)"
                }
            } else {
                findings[.riskAssessmentMissing] =
                    "a \(productType.rawValue) sale needs a risk assessment signed by the customer in person at the "
                    + "outlet, and none was recorded (H-04 item 3)"
            }
        }
        if productType == .derivativeLinked, experience?.experienced != true {
            findings[.noDerivativesExperience] =
                if let experience {
                    "derivative-linked product sold to a customer whose profile of \(experience.asOf) does not show "
                        + "derivatives experience (H-04 item 7)"
                } else {
                    "derivative-linked product sold to a customer with no profile on record dated on or before the "
                        + "sale, so no derivatives experience is shown (H-04 item 7)"
                }
        }
        return findings
    }

    func recordSale(_ sale: ProductSold.V1, facts: Facts, outbox: EventOutbox) async throws {
        guard try await facts.sale(sale) else { return }
        guard Self.assessedProducts.contains(sale.productType) else { return }
        try await reconcileCompliance(saleID: sale.saleId, facts: facts, outbox: outbox)
    }

    /// Re-judges a customer's derivative-linked sales after a profile arrived: its date may decide what was on record.
    func reconcileDerivativeSales(of customerID: String, facts: Facts, outbox: EventOutbox) async throws {
        let sales = try await facts.connection.query(
            """
            SELECT sale_id FROM sales WHERE customer_id = \(customerID) AND product_type = 'derivative_linked'
            ORDER BY sold_at, sale_id
            """,
            logger: facts.logger
        ).decode(String.self).all()
        for saleID in sales {
            try await reconcileCompliance(saleID: saleID, facts: facts, outbox: outbox)
        }
    }

    /// Brings the findings of one sale in line with the facts: a new finding is raised, a finding the facts no longer
    /// support is withdrawn (a profile dated on or before the sale, recorded later, shows experience), and one
    /// supported again is raised again. Each change is announced as `compliance-breach`.
    func reconcileCompliance(saleID: String, facts: Facts, outbox: EventOutbox) async throws {
        guard
            let row = try await facts.connection.query(
                """
                SELECT s.customer_id, s.manager_id, s.product_type, s.sold_at, s.sold_date::text, s.risk_assessed_at,
                    s.risk_signed_in_person, s.risk_level, c.home_branch_id
                FROM sales s LEFT JOIN customers c ON c.customer_id = s.customer_id
                WHERE s.sale_id = \(saleID)
                """,
                logger: facts.logger
            ).collect().first
        else { return }
        let (customerID, managerID, rawType, soldAt, soldDate, assessedAt, signed, level, branchID) = try row.decode(
            (String, String?, String, Date, String, Date?, Bool?, String?, String?).self)
        guard let productType = ProductType(rawValue: rawType) else { return }
        let experience = try await facts.connection.query(
            """
            SELECT derivatives_experience, as_of::text FROM profile_history
            WHERE customer_id = \(customerID) AND as_of <= \(soldDate)::date
            ORDER BY as_of DESC LIMIT 1
            """,
            logger: facts.logger
        ).decode((Bool?, String).self).all().first.flatMap { experienced, asOf in
            BusinessDate(asOf).map { ExperienceOnRecord(experienced: experienced, asOf: $0) }
        }
        let sold = facts.calendar.localized(soldAt)
        let assessment = ProductSold.V1.RiskAssessment(
            assessedAt: assessedAt.map { facts.calendar.localized($0) }, signedInPerson: signed, level: level)
        let wanted = Self.complianceFindings(
            productType: productType, assessment: assessment, soldAt: sold, experience: experience)
        var existing: [String: String] = [:]
        for try await (check, status) in try await facts.connection.query(
            "SELECT check_name, status FROM compliance_findings WHERE sale_id = \(saleID) FOR UPDATE",
            logger: facts.logger
        ).decode((String, String).self) {
            existing[check] = status
        }
        var changes: [(ComplianceCheck, ComplianceStatus, String)] = []
        for (check, detail) in wanted.sorted(by: { $0.key.rawValue < $1.key.rawValue })
        where existing[check.rawValue] != ComplianceStatus.raised.rawValue {
            changes.append((check, .raised, detail))
        }
        for (name, status) in existing.sorted(by: { $0.key < $1.key }) where status == ComplianceStatus.raised.rawValue {
            guard let check = ComplianceCheck(rawValue: name), wanted[check] == nil else { continue }
            changes.append(
                (check, .withdrawn, "a profile dated on or before the sale shows derivatives experience (H-04 item 7)"))
        }
        for (check, status, detail) in changes {
            try await facts.connection.query(
                """
                INSERT INTO compliance_findings (sale_id, check_name, customer_id, manager_id, sold_date, status, detail)
                VALUES (\(saleID), \(check.rawValue), \(customerID), \(managerID), \(soldDate)::date,
                    \(status.rawValue), \(detail))
                ON CONFLICT (sale_id, check_name) DO UPDATE SET status = EXCLUDED.status, detail = EXCLUDED.detail
                """,
                logger: facts.logger)
            try outbox.emit(
                ComplianceBreach.V1(
                    breachId: "\(saleID)/\(check.rawValue)", saleId: saleID, customerId: customerID,
                    managerId: managerID, branchId: branchID, productType: productType, check: check, ruleId: "H-04",
                    status: status, detail: detail, saleAt: sold, at: facts.calendar.now()),
                subject: "customer/\(customerID)")
        }
    }
}
