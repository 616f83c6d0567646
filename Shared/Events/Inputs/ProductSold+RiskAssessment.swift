// MARK: - ProductSold.V1.RiskAssessment

extension ProductSold.V1 {
    /// The customer's risk assessment behind a sale (`riskAssessment` of `bank.crm.product-sold.v1`).
    public struct RiskAssessment: Codable, Sendable, Equatable {
        /// When the assessment was made.
        public var assessedAt: Timestamp?
        /// Whether the customer signed it in person.
        public var signedInPerson: Bool?
        /// The assessed risk level, e.g. `R3`.
        public var level: String?

        /// Creates the assessment; each parameter sets the property of the same name.
        public init(assessedAt: Timestamp? = nil, signedInPerson: Bool? = nil, level: String? = nil) {
            self.assessedAt = assessedAt
            self.signedInPerson = signedInPerson
            self.level = level
        }

        /// `level`, when present, must not be blank.
        func validate() throws(EventValidationError) {
            try Check.notBlank(level, "riskAssessment.level")
        }
    }
}
