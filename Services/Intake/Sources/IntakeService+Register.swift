import Events
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// The identified-customer register, 已识别优质客户信息记录表 (rulebook C-05, H-02), by branch and day.
extension IntakeService {
    struct RegisterView: ResponseCodable {
        struct Entry: Codable {
            var identificationId: String
            var visitId: String
            var customerId: String?
            /// The customer id, or `visit/<visitId>` for an unknown walk-in.
            var customerKey: String
            var classification: String
            var tier: String?
            var basis: String
            var reasons: [String]
            var identifiedBy: String
            var identifiedByRole: String?
            var identifiedAt: Timestamp
            var referralId: String?
            var designatedCentreId: String?
            /// The contact phone, masked (`138****5678`); stored encrypted (H-03), shown in full nowhere.
            var contactPhone: String?
        }
        struct Totals: Codable {
            var vip: Int
            var potential: Int
            /// Identifications by the identifier's role (C-10): `lobby_manager`, `teller_cash`, … or `unknown`.
            var byRole: [String: Int]
        }
        var branchId: String
        var date: String
        var count: Int
        var totals: Totals
        var identifications: [Entry]
    }

    /// `GET /branches/{branchId}/identified?date=YYYY-MM-DD` (default today): every identification recorded at the
    /// branch that business day, in order.
    func register(branchID: String, date: BusinessDate) async throws -> RegisterView {
        let rows = try await context.postgres.query(
            """
            SELECT i.identification_id, i.visit_id, i.customer_id, i.customer_key, i.classification, i.tier, i.basis,
                i.reasons, i.identified_by, i.identified_by_role, i.identified_at, i.referral_id,
                i.designated_centre_id, v.contact_phone_key_id, v.contact_phone_ciphertext
            FROM identifications i JOIN visits v USING (visit_id)
            WHERE i.branch_id = \(branchID) AND i.business_date = \(date.description)::date
            ORDER BY i.identified_at, i.visit_id, i.classification DESC
            """,
            logger: context.logger)
        var entries: [RegisterView.Entry] = []
        var totals = RegisterView.Totals(vip: 0, potential: 0, byRole: [:])
        for try await row in rows {
            let columns = row.makeRandomAccess()
            let visitID = try columns["visit_id"].decode(String.self)
            let classification = try columns["classification"].decode(String.self)
            let role = try columns["identified_by_role"].decode(String?.self)
            var phone: String?
            if let keyID = try columns["contact_phone_key_id"].decode(String?.self),
                let sealed = try columns["contact_phone_ciphertext"].decode(ByteBuffer?.self)
            {
                phone = openPhone(.init(keyID: keyID, bytes: Array(buffer: sealed)), visitID: visitID)
            }
            entries.append(
                .init(
                    identificationId: try columns["identification_id"].decode(UUID.self).uuidString.lowercased(),
                    visitId: visitID,
                    customerId: try columns["customer_id"].decode(String?.self),
                    customerKey: try columns["customer_key"].decode(String.self),
                    classification: classification,
                    tier: try columns["tier"].decode(String?.self),
                    basis: try columns["basis"].decode(String.self),
                    reasons: try columns["reasons"].decode([String].self),
                    identifiedBy: try columns["identified_by"].decode(String.self),
                    identifiedByRole: role,
                    identifiedAt: context.calendar.localized(try columns["identified_at"].decode(Date.self)),
                    referralId: try columns["referral_id"].decode(UUID?.self)?.uuidString.lowercased(),
                    designatedCentreId: try columns["designated_centre_id"].decode(String?.self),
                    contactPhone: phone))
            if classification == Classification.vip.rawValue { totals.vip += 1 } else { totals.potential += 1 }
            totals.byRole[role ?? "unknown", default: 0] += 1
        }
        return RegisterView(
            branchId: branchID, date: date.description, count: entries.count, totals: totals, identifications: entries)
    }

    /// The masked phone, or `nil` (with a warning naming only the visit) when it no longer opens: its key left the
    /// ring or the row was tampered with.
    private func openPhone(_ sealed: FieldCipher.Sealed, visitID: String) -> String? {
        do {
            return PersonalData.masked(try cipher.open(sealed, context: Self.phoneContext(visitID)))
        } catch {
            context.logger.warning(
                "contact phone does not open", metadata: ["visit.id": "\(visitID)", "error": "\(error)"])
            return nil
        }
    }
}
