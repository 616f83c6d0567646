import ServiceKit

/// Key rotation of assignment's personal data at rest (rulebook H-03): the contact in a transferred customer file
/// (D-08) is sealed again with the active key of `PII_ENCRYPTION_KEYS`, so that a retired key can leave the ring
/// (docs/security.md).
extension AssignmentService {
    /// Where assignment keeps personal data sealed: `transfers.contact_sealed`, bound to the transfer id.
    static let sealedColumns = [
        FieldResealer.SealedColumn(
            table: "transfers", idColumn: "transfer_id", keyIDColumn: "contact_key_id",
            ciphertextColumn: "contact_sealed", context: { contactContext($0) })
    ]

    /// The re-sealer over ``sealedColumns`` with this instance's key ring.
    func personalDataResealer() -> FieldResealer {
        FieldResealer(
            cipher: cipher, client: context.postgres, columns: Self.sealedColumns, metrics: context.metrics,
            logger: context.logger)
    }

    /// The background job (`PII_RESEAL_INTERVAL_MS`, `PII_RESEAL_BATCH_SIZE`).
    func personalDataResealJob() -> any BackgroundJob {
        personalDataResealer().job(environment: context.environment, name: "assignment-pii-reseal")
    }
}
