// MARK: - AssessmentRecorded.V1.Items

extension AssessmentRecorded.V1 {
    /// The six items a supervisor scores, each 0…100 (rulebook G-02).
    public struct Items: Codable, Sendable, Equatable {
        /// 自我拓展: self-development.
        public var selfDevelopment: Int
        /// 营销能力: marketing ability.
        public var marketingAbility: Int
        /// 学习能力: learning ability.
        public var learningAbility: Int
        /// 指标完成率: target completion.
        public var targetCompletion: Int
        /// 合规性: compliance.
        public var compliance: Int
        /// 服务质量: service quality.
        public var serviceQuality: Int

        /// Creates the scores; each parameter sets the property of the same name.
        public init(
            selfDevelopment: Int,
            marketingAbility: Int,
            learningAbility: Int,
            targetCompletion: Int,
            compliance: Int,
            serviceQuality: Int
        ) {
            self.selfDevelopment = selfDevelopment
            self.marketingAbility = marketingAbility
            self.learningAbility = learningAbility
            self.targetCompletion = targetCompletion
            self.compliance = compliance
            self.serviceQuality = serviceQuality
        }

        /// The lowest and highest score allowed.
        public static let scoreRange = 0...100

        /// The JSON names of the six items, in rulebook order.
        public static let names: [String] = [
            "selfDevelopment", "marketingAbility", "learningAbility", "targetCompletion", "compliance",
            "serviceQuality",
        ]

        /// Every item's JSON name and score, in the order of ``names``.
        public var all: [(name: String, score: Int)] {
            [
                ("selfDevelopment", selfDevelopment),
                ("marketingAbility", marketingAbility),
                ("learningAbility", learningAbility),
                ("targetCompletion", targetCompletion),
                ("compliance", compliance),
                ("serviceQuality", serviceQuality),
            ]
        }

        /// The score of the item whose JSON name is `name`, or `nil` when no item has that name.
        ///
        /// - Parameter name: One of ``names``, e.g. `marketingAbility`.
        public func score(named name: String) -> Int? {
            all.first { $0.name == name }?.score
        }

        /// Every score must lie in ``scoreRange``.
        func validate() throws(EventValidationError) {
            for (name, score) in all where !Self.scoreRange.contains(score) {
                throw EventValidationError(field: "items.\(name)", reason: "\(score) is not between 0 and 100")
            }
        }
    }
}
