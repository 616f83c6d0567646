import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore

/// The request context of every service: Hummingbird's core context plus who is calling.
public struct ConciergeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware on every route but `/health/*`.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
    }

    /// The caller; routes behind the authentication middleware always have one.
    public func caller() throws(APIError) -> Principal {
        guard let principal else {
            throw APIError.unauthorized("this endpoint needs a bearer token", error: "unauthorized")
        }
        return principal
    }
}

/// What a resource is tied to, for deciding who may see or change it (rulebook H-01, H-09).
///
/// - a manager may when the resource is theirs: `staff` names them (the customer's owner, the task's assignee,
///   the case's handler, the book's or scorecard's manager);
/// - a centre head may when the resource belongs to their branch: `branches` names it;
/// - operations may always.
public struct ResourceScope: Sendable, Equatable {
    public var staff: Set<String>
    public var branches: Set<String>

    public init(staff: some Sequence<String> = [String](), branches: some Sequence<String> = [String]()) {
        self.staff = Set(staff)
        self.branches = Set(branches)
    }

    /// Only operations.
    public static let operationsOnly = ResourceScope()
}

extension Principal {
    /// Whether this caller may see (or act on) a resource with this scope.
    public func may(access scope: ResourceScope) -> Bool {
        switch role {
        case .operations: true
        case .centreHead: branchID.map(scope.branches.contains) ?? false
        case .manager: scope.staff.contains(staffID)
        }
    }

    /// Throws 403 unless ``may(access:)``; `what` names the resource for the message ("customer C1's tasks").
    public func authorize(_ scope: ResourceScope, _ what: @autoclosure () -> String) throws(APIError) {
        guard may(access: scope) else {
            throw APIError.forbidden("\(role.rawValue) \(staffID) may not access \(what())")
        }
    }

    /// Throws 403 unless the caller has one of `roles` (for actions only some roles may take at all).
    public func require(_ roles: Set<Role>, to action: @autoclosure () -> String) throws(APIError) {
        guard roles.contains(role) else {
            throw APIError.forbidden("\(role.rawValue) \(staffID) may not \(action())")
        }
    }

    /// The branch a branch-wide query should cover: a centre head's own (asking for another is refused), any for
    /// operations (`nil` = all); managers are refused.
    public func branchFilter(requested: String?, _ what: @autoclosure () -> String) throws(APIError) -> String? {
        switch role {
        case .operations:
            return requested
        case .centreHead:
            if let requested, requested != branchID {
                throw APIError.forbidden("centre_head \(staffID) may not access \(what()) of branch \(requested)")
            }
            return branchID
        case .manager:
            throw APIError.forbidden("manager \(staffID) may not access \(what())")
        }
    }
}

/// Checks the bearer token of every request behind it and puts the caller in the context; 401 otherwise.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ConciergeRequestContext

    let authority: AccessTokenAuthority
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        do {
            context.principal = try authenticate(request)
        } catch let refusal {
            metrics.accessRefused(status: 401)
            context.logger.notice(
                "request refused: no valid token",
                metadata: ["http.route": "\(context.endpointPath ?? "-")", "reason": "\(refusal.detail)"])
            throw refusal
        }
        do {
            return try await next(request, context)
        } catch let error as APIError where error.status == .forbidden {
            metrics.accessRefused(status: 403)
            context.logger.notice(
                "request refused: not allowed",
                metadata: [
                    "http.route": "\(context.endpointPath ?? "-")", "staff.id": "\(context.principal?.staffID ?? "-")",
                    "staff.role": "\(context.principal?.role.rawValue ?? "-")",
                ])
            throw error
        }
    }

    private func authenticate(_ request: Request) throws(APIError) -> Principal {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("this endpoint needs a bearer token (Authorization: Bearer …)", error: "unauthorized")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("the Authorization header must be \"Bearer <token>\"", error: "unauthorized")
        }
        do {
            return try authority.verify(String(parts[1]).trimmingCharacters(in: .whitespaces))
        } catch {
            throw APIError.unauthorized(error.description, error: "invalid_token")
        }
    }
}
