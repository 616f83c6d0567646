import Events
import Foundation

/// A profile's `segmentOverride` (rulebook B-03): the bank's own decision that wins over the asset thresholds.
/// Case-insensitive `A`, `B`, `C`, `potential`, `standard` (or `none`); anything else is ignored.
public enum SegmentOverride: Sendable, Equatable {
    case tier(Tier)
    case potential
    case standard

    public init?(_ raw: String?) {
        guard let value = raw?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let tier = Tier(rawValue: value.uppercased()) {
            self = .tier(tier)
            return
        }
        switch value.lowercased() {
        case "potential": self = .potential
        case "standard", "none": self = .standard
        default: return nil
        }
    }
}
