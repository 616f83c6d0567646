import Crypto
import Foundation

/// Encrypts personal data for storage (rulebook H-01, H-03): AES-256-GCM with a key ring from the environment.
///
/// Every ciphertext is stored with the id of the key that sealed it, so keys can rotate: new values are sealed
/// with the active key, old ones still open with the key named beside them for as long as that key stays in the
/// ring. Each value is bound to a context (for example the visit id) as authenticated data, so a ciphertext copied
/// onto another row does not open.
///
/// - `PII_ENCRYPTION_KEYS`: comma-separated `keyId:base64`, each key 32 random bytes
///   (`head -c 32 /dev/urandom | base64`). Required by services that store personal data.
/// - `PII_ENCRYPTION_ACTIVE_KEY`: the key id new values are sealed with; default the first listed.
public struct FieldCipher: Sendable {
    /// A sealed value as stored: the key id and nonce ‖ ciphertext ‖ tag.
    public struct Sealed: Sendable, Equatable {
        public var keyID: String
        public var bytes: [UInt8]

        public init(keyID: String, bytes: [UInt8]) {
            self.keyID = keyID
            self.bytes = bytes
        }
    }

    /// Why a stored value could not be opened. Never contains the value.
    public struct OpenError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static let keysVariable = "PII_ENCRYPTION_KEYS"
    public static let activeKeyVariable = "PII_ENCRYPTION_ACTIVE_KEY"

    public let activeKeyID: String
    private let keys: [String: SymmetricKey]

    /// - Parameters:
    ///   - keys: key id → 32-byte key.
    ///   - activeKeyID: the key new values are sealed with; it must be in `keys`.
    public init(keys: [String: [UInt8]], activeKeyID: String) throws(ConfigurationError) {
        var ring: [String: SymmetricKey] = [:]
        for (id, bytes) in keys {
            guard KeyRing.isValidKeyID(id) else {
                throw ConfigurationError(
                    key: Self.keysVariable, reason: "key id \"\(id)\" must be 1–64 letters, digits, '.', '_' or '-'")
            }
            guard bytes.count == 32 else {
                throw ConfigurationError(
                    key: Self.keysVariable,
                    reason: "key \"\(id)\" has \(bytes.count) bytes; AES-256 needs 32 (head -c 32 /dev/urandom | base64)")
            }
            ring[id] = SymmetricKey(data: bytes)
        }
        guard ring[activeKeyID] != nil else {
            throw ConfigurationError(key: Self.activeKeyVariable, reason: "no key \"\(activeKeyID)\" in \(Self.keysVariable)")
        }
        self.keys = ring
        self.activeKeyID = activeKeyID
    }

    /// Reads the key ring from `PII_ENCRYPTION_KEYS` and `PII_ENCRYPTION_ACTIVE_KEY`.
    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        guard let raw = environment.string(Self.keysVariable) else {
            throw ConfigurationError(
                key: Self.keysVariable,
                reason: "required: personal data is stored encrypted (H-03); set keyId:base64 with a 32-byte key, "
                    + "e.g. pii-1:$(head -c 32 /dev/urandom | base64)")
        }
        let ring = try KeyRing(
            parsing: raw, variable: Self.keysVariable, hint: "AES-256 needs 32 (head -c 32 /dev/urandom | base64)")
        try self.init(keys: ring.keys, activeKeyID: environment.string(Self.activeKeyVariable) ?? ring.order[0])
    }

    /// Seals `plaintext` with the active key, bound to `context`.
    public func seal(_ plaintext: String, context: String) throws -> Sealed {
        let box = try AES.GCM.seal(
            Array(plaintext.utf8), using: keys[activeKeyID]!, authenticating: Array(context.utf8))
        guard let combined = box.combined else { throw OpenError(description: "sealing produced no output") }
        return Sealed(keyID: activeKeyID, bytes: Array(combined))
    }

    /// Opens a stored value with the key it names. Fails when that key has left the ring, the bytes were altered,
    /// or `context` is not the one it was sealed with.
    public func open(_ sealed: Sealed, context: String) throws(OpenError) -> String {
        guard let key = keys[sealed.keyID] else {
            throw OpenError(description: "key \"\(sealed.keyID)\" is no longer in \(Self.keysVariable)")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.bytes)
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Array(context.utf8))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw OpenError(description: "the value does not open with key \"\(sealed.keyID)\" (altered or moved)")
        }
    }
}
