import Crypto
import Foundation

/// Who is calling, as an access token says (rulebook H-01, H-09: a manager sees their own book, a centre head
/// their branch, operations everything).
public struct Principal: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        /// A relationship manager (wealth or marketing): their own customers, agenda, cases and scorecard.
        case manager
        /// The head of a wealth-management centre: everything tied to their branch.
        case centreHead = "centre_head"
        /// Operations and head-office staff: everything.
        case operations
    }

    /// The staff id (`sub`), as in `staff.directory`.
    public var staffID: String
    public var role: Role
    /// The branch (`branch`); required for managers and centre heads.
    public var branchID: String?

    public init(staffID: String, role: Role, branchID: String?) {
        self.staffID = staffID
        self.role = role
        self.branchID = branchID
    }
}

/// Issues and checks the bearer tokens of the HTTP API: compact JWS with HMAC-SHA256 (`HS256`), keys from
/// `AUTH_JWT_KEYS`.
///
/// The bank's identity provider (or `concierge token` on a development machine) issues the tokens; every service
/// checks them with the shared key ring. A token names its key in the header (`kid`) so keys rotate like the
/// personal-data keys: add the new key, let issuers switch, remove the old one once its tokens have expired.
///
/// Claims: `sub` (staff id), `role` (`manager`, `centre_head`, `operations`), `branch` (for managers and centre
/// heads), `exp` (required), and optionally `nbf`, `iat`, `iss`, `aud`. Anything else in the header than
/// `alg: HS256` (in particular `none`) is refused.
///
/// - `AUTH_JWT_KEYS`: `keyId:base64,…`, each key at least 32 random bytes (`head -c 32 /dev/urandom | base64`).
/// - `AUTH_JWT_ACTIVE_KEY`: the key `sign` uses (the CLI); default the first listed.
/// - `AUTH_JWT_ISSUER`, `AUTH_JWT_AUDIENCE`: when set, tokens must carry exactly this `iss` / include this `aud`.
/// - `AUTH_JWT_LEEWAY_SECONDS`: clock skew tolerated on `exp` and `nbf` (default 30).
public struct AccessTokenAuthority: Sendable {
    public static let keysVariable = "AUTH_JWT_KEYS"
    public static let activeKeyVariable = "AUTH_JWT_ACTIVE_KEY"
    /// Longer tokens are refused before any parsing.
    public static let maximumTokenLength = 8_192

    /// Why a token was refused: a short, safe sentence (never the token or a key).
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public let activeKeyID: String
    public var issuer: String?
    public var audience: String?
    public var leeway: Duration
    private let keys: [String: SymmetricKey]

    public init(
        keys: [String: [UInt8]], activeKeyID: String, issuer: String? = nil, audience: String? = nil,
        leeway: Duration = .seconds(30)
    ) throws(ConfigurationError) {
        guard keys[activeKeyID] != nil else {
            throw ConfigurationError(key: Self.activeKeyVariable, reason: "no key \"\(activeKeyID)\" in \(Self.keysVariable)")
        }
        self.keys = keys.mapValues { SymmetricKey(data: $0) }
        self.activeKeyID = activeKeyID
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    /// Reads `AUTH_JWT_*`; the key ring is required (every endpoint but health needs a token).
    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        guard let raw = environment.string(Self.keysVariable) else {
            throw ConfigurationError(
                key: Self.keysVariable,
                reason: "required: the HTTP API checks bearer tokens; set keyId:base64 with at least 32 random bytes, "
                    + "e.g. jwt-1:$(head -c 32 /dev/urandom | base64)")
        }
        let ring = try KeyRing(
            parsing: raw, variable: Self.keysVariable, minimumBytes: 32,
            hint: "HS256 needs at least 32 (head -c 32 /dev/urandom | base64)")
        try self.init(
            keys: ring.keys, activeKeyID: environment.string(Self.activeKeyVariable) ?? ring.order[0],
            issuer: environment.string("AUTH_JWT_ISSUER"), audience: environment.string("AUTH_JWT_AUDIENCE"),
            leeway: .seconds(try environment.int("AUTH_JWT_LEEWAY_SECONDS", default: 30, in: 0...3_600)))
    }

    // MARK: - Issuing

    /// A signed token for `principal`, valid from `now` for `lifetime`, with the active key.
    public func sign(_ principal: Principal, now: Date = Date(), lifetime: Duration = .seconds(3_600)) -> String {
        var claims: [String: Any] = [
            "sub": principal.staffID, "role": principal.role.rawValue,
            "iat": Int(now.timeIntervalSince1970),
            "exp": Int(now.timeIntervalSince1970) + Int(lifetime.components.seconds),
        ]
        if let branch = principal.branchID { claims["branch"] = branch }
        if let issuer { claims["iss"] = issuer }
        if let audience { claims["aud"] = audience }
        return sign(claims: claims)
    }

    /// Signs arbitrary claims (tests use it for tokens that must be refused).
    public func sign(claims: [String: Any], header: [String: Any]? = nil) -> String {
        let header = header ?? ["alg": "HS256", "typ": "JWT", "kid": activeKeyID]
        let signingInput =
            Base64URL.encode(Self.json(header)) + "." + Base64URL.encode(Self.json(claims))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: keys[activeKeyID]!)
        return signingInput + "." + Base64URL.encode(Array(mac))
    }

    private static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    // MARK: - Checking

    /// The principal a token names, once its signature, times, issuer, audience and claims check out.
    public func verify(_ token: String, now: Date = Date()) throws(Refusal) -> Principal {
        guard token.utf8.count <= Self.maximumTokenLength else { throw Refusal("the token is too long") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw Refusal("the token is not a compact JWS (header.payload.signature)") }
        guard let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw Refusal("the token is not base64url") }
        guard let header = Self.object(headerBytes) else { throw Refusal("the token header is not a JSON object") }
        guard header["alg"] as? String == "HS256" else {
            throw Refusal("the token's algorithm is not HS256")
        }
        let candidates: [SymmetricKey]
        if let kid = header["kid"] {
            guard let kid = kid as? String, let key = keys[kid] else { throw Refusal("the token's key is not known") }
            candidates = [key]
        } else {
            candidates = Array(keys.values)
        }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard
            candidates.contains(where: {
                HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: $0)
            })
        else { throw Refusal("the token's signature does not verify") }

        guard let claims = Self.object(payloadBytes) else { throw Refusal("the token payload is not a JSON object") }
        let nowSeconds = now.timeIntervalSince1970
        let leewaySeconds = Double(leeway.components.seconds)
        guard let exp = Self.number(claims["exp"]) else { throw Refusal("the token has no expiry (exp)") }
        guard nowSeconds < exp + leewaySeconds else { throw Refusal("the token has expired") }
        if let nbfClaim = claims["nbf"] {
            guard let nbf = Self.number(nbfClaim) else { throw Refusal("the token's nbf is not a number") }
            guard nowSeconds + leewaySeconds >= nbf else { throw Refusal("the token is not valid yet") }
        }
        if let issuer, claims["iss"] as? String != issuer { throw Refusal("the token's issuer is not accepted") }
        if let audience {
            let audiences = (claims["aud"] as? [Any])?.compactMap { $0 as? String } ?? [claims["aud"] as? String].compactMap { $0 }
            guard audiences.contains(audience) else { throw Refusal("the token is not meant for this audience") }
        }
        guard let subject = claims["sub"] as? String, !subject.isEmpty, subject.count <= 64 else {
            throw Refusal("the token names no staff id (sub)")
        }
        guard let roleName = claims["role"] as? String, let role = Principal.Role(rawValue: roleName) else {
            throw Refusal("the token's role is not manager, centre_head or operations")
        }
        let branch = (claims["branch"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if role != .operations, branch == nil {
            throw Refusal("a \(role.rawValue) token must name its branch")
        }
        return Principal(staffID: subject, role: role, branchID: branch)
    }

    private static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// A JSON number (not a Boolean, which `JSONSerialization` also reports as `NSNumber`).
    private static func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, !(value is Bool) else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }
}

/// Base64 with the URL alphabet and no padding (RFC 7515 §2).
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return nil
        }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}
