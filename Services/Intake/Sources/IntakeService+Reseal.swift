import ServiceKit

/// Key rotation of intake's personal data at rest (rulebook H-03): the contact phone of a visit is sealed again with
/// the active key of `PII_ENCRYPTION_KEYS`, so that a retired key can leave the ring (docs/security.md).
extension IntakeService {
    /// Where intake keeps personal data sealed: `visits.contact_phone_ciphertext`, bound to the visit id.
    static let sealedColumns = [
        FieldResealer.SealedColumn(
            table: "visits", idColumn: "visit_id", keyIDColumn: "contact_phone_key_id",
            ciphertextColumn: "contact_phone_ciphertext", context: { phoneContext($0) })
    ]

    /// The re-sealer over ``sealedColumns`` with this instance's key ring.
    func personalDataResealer() -> FieldResealer {
        FieldResealer(
            cipher: cipher, client: context.postgres, columns: Self.sealedColumns, metrics: context.metrics,
            logger: context.logger)
    }

    /// The background job (`PII_RESEAL_INTERVAL_MS`, `PII_RESEAL_BATCH_SIZE`).
    func personalDataResealJob() -> any BackgroundJob {
        personalDataResealer().job(environment: context.environment, name: "intake-pii-reseal")
    }
}
