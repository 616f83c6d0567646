import ServiceKit

/// Assignment's limits (rulebook D-03), configurable.
public struct AssignmentSettings: Sendable {
    /// At most this many customers per manager (`ASSIGNMENT_MANAGER_CAPACITY`, default 400; D-03).
    public var managerCapacity: Int

    public init(managerCapacity: Int = 400) {
        self.managerCapacity = managerCapacity
    }

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.init(managerCapacity: try environment.int("ASSIGNMENT_MANAGER_CAPACITY", default: 400, in: 1...100_000))
    }
}
