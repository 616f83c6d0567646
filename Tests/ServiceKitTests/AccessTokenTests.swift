import Foundation
import ServiceKit
import Testing

/// The bearer tokens of the HTTP API (rulebook H-01, H-09): what is accepted, and every way a token is refused.
@Suite("Access tokens")
struct AccessTokenTests {
    static let key = Array(repeating: UInt8(7), count: 32)
    static let otherKey = Array(repeating: UInt8(9), count: 32)
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func authority(
        keys: [String: [UInt8]] = ["k1": key], active: String = "k1", issuer: String? = nil, audience: String? = nil
    ) throws -> AccessTokenAuthority {
        try AccessTokenAuthority(keys: keys, activeKeyID: active, issuer: issuer, audience: audience)
    }

    static func claims(_ extra: [String: Any] = [:], exp: Int = 1_795_000_600) -> [String: Any] {
        ["sub": "WM1", "role": "manager", "branch": "B1", "exp": exp].merging(extra) { $1 }
    }

    /// The refusal for `token`, or `nil` when it is accepted.
    static func refusal(_ token: String, by authority: AccessTokenAuthority) -> String? {
        do {
            _ = try authority.verify(token, now: now)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("H-09 a signed token names the caller: staff id, role and branch")
    func acceptsSignedToken() throws {
        let authority = try Self.authority()
        for role in Principal.Role.allCases {
            let principal = Principal(staffID: "S-\(role.rawValue)", role: role, branchID: role == .operations ? nil : "B1")
            let token = authority.sign(principal, now: Self.now)
            #expect(try authority.verify(token, now: Self.now) == principal)
        }
        // Within the lifetime, and within the leeway after it.
        let token = authority.sign(Principal(staffID: "WM1", role: .manager, branchID: "B1"), now: Self.now, lifetime: .seconds(60))
        #expect(throws: Never.self) { try authority.verify(token, now: Self.now.addingTimeInterval(60 + 29)) }
    }

    @Test("H-09 forged tokens are refused: another key, an altered payload, a changed role, an unsigned alg none")
    func refusesForgeries() throws {
        let authority = try Self.authority()
        let forger = try Self.authority(keys: ["k1": Self.otherKey])
        #expect(Self.refusal(forger.sign(claims: Self.claims()), by: authority) == "the token's signature does not verify")

        // Promote oneself to operations by editing the payload and keeping the signature.
        let genuine = authority.sign(claims: Self.claims())
        let parts = genuine.split(separator: ".").map(String.init)
        let promoted = try JSONSerialization.data(withJSONObject: Self.claims(["role": "operations"]))
        let base64URL = promoted.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        #expect(Self.refusal([parts[0], base64URL, parts[2]].joined(separator: "."), by: authority) != nil)

        // alg none with an empty signature, and an algorithm we do not accept.
        let none = authority.sign(claims: Self.claims(), header: ["alg": "none", "typ": "JWT"])
        let unsigned = none.split(separator: ".").prefix(2).joined(separator: ".") + "."
        #expect(Self.refusal(unsigned, by: authority) == "the token's algorithm is not HS256")
        #expect(
            Self.refusal(authority.sign(claims: Self.claims(), header: ["alg": "RS256", "kid": "k1"]), by: authority)
                == "the token's algorithm is not HS256")
        #expect(
            Self.refusal(authority.sign(claims: Self.claims(), header: ["alg": "HS256", "kid": "k9"]), by: authority)
                == "the token's key is not known")
    }

    @Test("H-09 expired, not yet valid and undated tokens are refused")
    func refusesByTime() throws {
        let authority = try Self.authority()
        let expired = authority.sign(claims: Self.claims(exp: 1_795_000_000 - 31))
        #expect(Self.refusal(expired, by: authority) == "the token has expired")
        let early = authority.sign(claims: Self.claims(["nbf": 1_795_000_000 + 120]))
        #expect(Self.refusal(early, by: authority) == "the token is not valid yet")
        var undated = Self.claims()
        undated["exp"] = nil
        #expect(Self.refusal(authority.sign(claims: undated), by: authority) == "the token has no expiry (exp)")
        #expect(Self.refusal(authority.sign(claims: Self.claims(["exp": "tomorrow"])), by: authority) == "the token has no expiry (exp)")
        #expect(Self.refusal(authority.sign(claims: Self.claims(["exp": true])), by: authority) == "the token has no expiry (exp)")
    }

    @Test("H-09 a token must name a staff id, a known role and, below operations, a branch")
    func refusesIncompleteClaims() throws {
        let authority = try Self.authority()
        #expect(Self.refusal(authority.sign(claims: Self.claims(["sub": ""])), by: authority) == "the token names no staff id (sub)")
        #expect(
            Self.refusal(authority.sign(claims: Self.claims(["role": "admin"])), by: authority)
                == "the token's role is not manager, centre_head or operations")
        var noBranch = Self.claims(["role": "centre_head"])
        noBranch["branch"] = nil
        #expect(Self.refusal(authority.sign(claims: noBranch), by: authority) == "a centre_head token must name its branch")
        noBranch["role"] = "operations"
        #expect(Self.refusal(authority.sign(claims: noBranch), by: authority) == nil)
    }

    @Test("H-09 malformed tokens are refused without a crash", arguments: [
        "", "abc", "a.b", "a.b.c.d", "!!!.???.###", String(repeating: "a", count: 9_000), "e30.e30.",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.AAAA",
    ])
    func refusesMalformed(token: String) throws {
        #expect(Self.refusal(token, by: try Self.authority()) != nil)
    }

    @Test("H-09 issuer and audience are checked when configured")
    func checksIssuerAndAudience() throws {
        let strict = try Self.authority(issuer: "bank-idp", audience: "concierge")
        #expect(Self.refusal(strict.sign(claims: Self.claims(["iss": "bank-idp", "aud": "concierge"])), by: strict) == nil)
        #expect(Self.refusal(strict.sign(claims: Self.claims(["iss": "bank-idp", "aud": ["crm", "concierge"]])), by: strict) == nil)
        #expect(
            Self.refusal(strict.sign(claims: Self.claims(["iss": "elsewhere", "aud": "concierge"])), by: strict)
                == "the token's issuer is not accepted")
        #expect(
            Self.refusal(strict.sign(claims: Self.claims(["iss": "bank-idp", "aud": "crm"])), by: strict)
                == "the token is not meant for this audience")
    }

    @Test("H-09 keys rotate: a token of the old key verifies while that key is listed, and not after")
    func keysRotate() throws {
        let old = try Self.authority(keys: ["k1": Self.key])
        let token = old.sign(Principal(staffID: "CH1", role: .centreHead, branchID: "B1"), now: Self.now)
        let both = try Self.authority(keys: ["k1": Self.key, "k2": Self.otherKey], active: "k2")
        #expect(Self.refusal(token, by: both) == nil)
        #expect(Self.refusal(both.sign(claims: Self.claims()), by: both) == nil)
        let newOnly = try Self.authority(keys: ["k2": Self.otherKey], active: "k2")
        #expect(Self.refusal(token, by: newOnly) == "the token's key is not known")
    }

    @Test("H-09 the key ring is required, at least 32 bytes per key, and errors never show a key")
    func keyRingIsChecked() {
        func error(_ values: [String: String]) -> String? {
            do {
                _ = try AccessTokenAuthority(environment: EnvironmentReader(values))
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error([:])?.contains("AUTH_JWT_KEYS") == true)
        let short = Data(repeating: 1, count: 16).base64EncodedString()
        let shortError = error(["AUTH_JWT_KEYS": "k1:\(short)"])
        #expect(shortError?.contains("at least 32") == true)
        #expect(shortError?.contains(short) == false)
        let good = Data(repeating: 1, count: 32).base64EncodedString()
        #expect(error(["AUTH_JWT_KEYS": "k1:\(good)", "AUTH_JWT_ACTIVE_KEY": "k2"])?.contains("no key \"k2\"") == true)
        #expect(error(["AUTH_JWT_KEYS": "k1:\(good),k1:\(good)"])?.contains("listed twice") == true)
        #expect(error(["AUTH_JWT_KEYS": "k1:\(good)"]) == nil)
    }

    @Test("H-09 a manager sees what is theirs, a centre head their branch, operations everything")
    func scopes() {
        let scope = ResourceScope(staff: ["WM1"], branches: ["B1"])
        #expect(Principal(staffID: "WM1", role: .manager, branchID: "B1").may(access: scope))
        #expect(!Principal(staffID: "WM2", role: .manager, branchID: "B1").may(access: scope))
        #expect(Principal(staffID: "CH1", role: .centreHead, branchID: "B1").may(access: scope))
        #expect(!Principal(staffID: "CH2", role: .centreHead, branchID: "B2").may(access: scope))
        #expect(Principal(staffID: "OPS", role: .operations, branchID: nil).may(access: scope))
        #expect(!Principal(staffID: "WM1", role: .manager, branchID: "B1").may(access: .operationsOnly))
        #expect(!Principal(staffID: "CH1", role: .centreHead, branchID: "B1").may(access: .operationsOnly))
    }
}
