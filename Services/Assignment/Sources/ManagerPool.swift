import Events
import Foundation

/// The two halves of a manager's book in rulebook D-03: customers below 1,000,000 (tier A, or no tier yet) and
/// customers at or above it (tiers B and C).
public enum Segment: String, Sendable, Codable, CaseIterable {
    case standard
    case high

    public init(tier: Tier?) {
        self = tier == .b || tier == .c ? .high : .standard
    }
}

/// How many customers a manager may own (rulebook D-03): 400 in all, 320 below 1,000,000 and 80 at or above.
public struct CapacityPolicy: Sendable, Equatable {
    /// `ASSIGNMENT_MANAGER_CAPACITY`, default 400.
    public var total: Int
    /// `ASSIGNMENT_CAP_STANDARD`, default 320: customers below 1,000,000.
    public var standard: Int
    /// `ASSIGNMENT_CAP_HIGH`, default 80: customers at or above 1,000,000.
    public var high: Int
    /// `ASSIGNMENT_SEGMENT_CAPS`, default on: whether `standard` and `high` apply at all.
    public var segmentCaps: Bool
    /// `ASSIGNMENT_CAP_MODE`, default `hard`: a manager at a cap is never chosen. `soft`: when every eligible manager
    /// is at a cap, the least loaded is chosen anyway and a capacity alert says so.
    public var hard: Bool

    public init(total: Int = 400, standard: Int = 320, high: Int = 80, segmentCaps: Bool = true, hard: Bool = true) {
        self.total = total
        self.standard = standard
        self.high = high
        self.segmentCaps = segmentCaps
        self.hard = hard
    }

    public func cap(_ segment: Segment) -> Int {
        switch segment {
        case .standard: standard
        case .high: high
        }
    }

    /// Whether a manager holding `load` may take one more customer of `segment`.
    public func hasRoom(_ load: Load, for segment: Segment) -> Bool {
        load.total < total && (!segmentCaps || load[segment] < cap(segment))
    }

    /// Room left: in all, and per segment (the total bounds each segment too).
    public func remaining(_ load: Load) -> (total: Int, standard: Int, high: Int) {
        let total = max(0, self.total - load.total)
        guard segmentCaps else { return (total, total, total) }
        return (total, min(total, max(0, standard - load.standard)), min(total, max(0, high - load.high)))
    }
}

/// The customers a manager owns, per segment.
public struct Load: Sendable, Equatable {
    public var standard: Int
    public var high: Int

    public init(standard: Int = 0, high: Int = 0) {
        self.standard = standard
        self.high = high
    }

    public var total: Int { standard + high }

    public subscript(segment: Segment) -> Int {
        get { segment == .standard ? standard : high }
        set {
            if segment == .standard { standard = newValue } else { high = newValue }
        }
    }
}

/// The eligible managers of one branch and their books, from which new owners are chosen one after another
/// (rulebook D-03): least loaded in the customer's segment first; on a tie, whoever was assigned a customer longest
/// ago (never assigned counts as longest ago); then the staff id, so that the choice is reproducible. Each choice
/// counts against the chosen manager at once, so that a departure handing over hundreds of customers spreads them
/// and respects the caps.
public struct ManagerPool: Sendable {
    public struct Candidate: Sendable, Equatable {
        public var staffID: String
        public var load: Load
        public var lastAssigned: Date?

        public init(staffID: String, load: Load, lastAssigned: Date?) {
            self.staffID = staffID
            self.load = load
            self.lastAssigned = lastAssigned
        }
    }

    public enum Choice: Sendable, Equatable {
        /// A manager with room under every cap.
        case withinCaps(String)
        /// Soft caps only: everyone eligible is at a cap; this manager, the least loaded, goes over it.
        case overCap(String)

        public var staffID: String {
            switch self {
            case .withinCaps(let id), .overCap(let id): id
            }
        }
    }

    public private(set) var candidates: [Candidate]
    public let policy: CapacityPolicy
    /// Choices made through this pool, in order: a later choice counts as more recent than any stored time.
    private var choices = 0
    private var chosenAt: [String: Int] = [:]

    public init(candidates: [Candidate], policy: CapacityPolicy) {
        self.candidates = candidates
        self.policy = policy
    }

    /// Chooses a manager for one customer of `segment` and counts the customer against them; `nil` when nobody is
    /// eligible (hard caps: nobody has room).
    public mutating func choose(for segment: Segment) -> Choice? {
        let ordered = candidates.indices.sorted { precedes(candidates[$0], candidates[$1], segment: segment) }
        if let index = ordered.first(where: { policy.hasRoom(candidates[$0].load, for: segment) }) {
            return .withinCaps(take(index, segment))
        }
        guard !policy.hard, let index = ordered.first else { return nil }
        return .overCap(take(index, segment))
    }

    private mutating func take(_ index: Int, _ segment: Segment) -> String {
        candidates[index].load[segment] += 1
        choices += 1
        chosenAt[candidates[index].staffID] = choices
        return candidates[index].staffID
    }

    private func precedes(_ lhs: Candidate, _ rhs: Candidate, segment: Segment) -> Bool {
        if lhs.load[segment] != rhs.load[segment] { return lhs.load[segment] < rhs.load[segment] }
        let left = chosenAt[lhs.staffID]
        let right = chosenAt[rhs.staffID]
        switch (left, right) {
        case (nil, .some): return true
        case (.some, nil): return false
        case (.some(let l), .some(let r)): return l < r
        case (nil, nil): break
        }
        switch (lhs.lastAssigned, rhs.lastAssigned) {
        case (nil, .some): return true
        case (.some, nil): return false
        case (.some(let l), .some(let r)) where l != r: return l < r
        default: return lhs.staffID < rhs.staffID
        }
    }
}
