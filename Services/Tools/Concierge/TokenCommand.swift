import ArgumentParser
import Foundation
import ServiceKit

/// `concierge token`: a bearer token for the HTTP API, signed with the key ring in `AUTH_JWT_KEYS`.
///
/// For development machines and scripts; in a bank the identity provider issues tokens with the same claims.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a bearer token for the HTTP API (signed with AUTH_JWT_KEYS).",
        discussion: """
            Roles: manager (their own customers, agenda, cases and scorecard), centre_head (everything of their \
            branch), operations (everything). Managers and centre heads need --branch. `make run` puts the \
            development key ring into .concierge/dev.env.
            Example: curl -H "Authorization: Bearer $(concierge token --role operations --staff OPS1)" …
            """
    )

    @Option(help: "manager, centre_head or operations.")
    var role: String

    @Option(help: "The staff id the token speaks for (sub).")
    var staff: String

    @Option(help: "The staff member's branch (required for manager and centre_head).")
    var branch: String?

    @Option(help: "Lifetime in seconds.")
    var ttl = 3_600

    func run() throws {
        guard let role = Principal.Role(rawValue: role) else {
            throw ValidationError("--role must be manager, centre_head or operations")
        }
        guard role == .operations || branch != nil else {
            throw ValidationError("a \(role.rawValue) token needs --branch")
        }
        guard (1...86_400 * 31).contains(ttl) else { throw ValidationError("--ttl must be 1 to 2,678,400 seconds") }
        let authority = try AccessTokenAuthority(environment: EnvironmentReader())
        print(authority.sign(Principal(staffID: staff, role: role, branchID: branch), lifetime: .seconds(ttl)))
    }
}
