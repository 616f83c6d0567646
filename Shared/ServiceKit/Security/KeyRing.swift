import Foundation

/// A ring of named secret keys read from one environment variable as `keyId:base64,keyId:base64,…`, the shape
/// shared by the personal-data keys (`PII_ENCRYPTION_KEYS`) and the access-token keys (`AUTH_JWT_KEYS`).
///
/// Naming each key lets keys rotate: a new key is added (and made active) while the old one stays listed until
/// nothing needs it any more. Errors name the variable and the key id, never the key.
public struct KeyRing: Sendable {
    /// Key id → key bytes.
    public let keys: [String: [UInt8]]
    /// The ids in the order they were listed.
    public let order: [String]

    /// Parses `raw`, the value of `variable`; every key must have `byteCount` bytes (or at least `minimumBytes`).
    public init(
        parsing raw: String, variable: String, byteCount: Int? = nil, minimumBytes: Int = 1, hint: String
    ) throws(ConfigurationError) {
        var keys: [String: [UInt8]] = [:]
        var order: [String] = []
        for entry in raw.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])) else {
                throw ConfigurationError(key: variable, reason: "each entry must be keyId:base64 (the key itself is not shown)")
            }
            let id = String(parts[0])
            guard Self.isValidKeyID(id) else {
                throw ConfigurationError(key: variable, reason: "key id \"\(id)\" must be 1–64 letters, digits, '.', '_' or '-'")
            }
            guard keys[id] == nil else {
                throw ConfigurationError(key: variable, reason: "key id \"\(id)\" is listed twice")
            }
            if let byteCount, bytes.count != byteCount {
                throw ConfigurationError(key: variable, reason: "key \"\(id)\" has \(bytes.count) bytes; \(hint)")
            }
            guard bytes.count >= minimumBytes else {
                throw ConfigurationError(key: variable, reason: "key \"\(id)\" has \(bytes.count) bytes; \(hint)")
            }
            keys[id] = Array(bytes)
            order.append(id)
        }
        guard !order.isEmpty else {
            throw ConfigurationError(key: variable, reason: "no key listed")
        }
        self.keys = keys
        self.order = order
    }

    /// 1–64 ASCII letters, digits, `.`, `_` or `-`.
    public static func isValidKeyID(_ id: String) -> Bool {
        (1...64).contains(id.count)
            && id.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0)
            }
    }
}
