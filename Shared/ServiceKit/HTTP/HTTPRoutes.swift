import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The router every service starts from: JSON errors, `/health/live` and `/health/ready` (open to all, for
/// probes), then the bearer-token check on everything else, `/metrics` (operations), and a gate that answers 503
/// on the service's own routes until its migrations are applied.
enum HTTPRoutes {
    static func makeRouter(
        readiness: Readiness, metrics: ServiceMetrics, authority: AccessTokenAuthority
    ) -> Router<ConciergeRequestContext> {
        let router = Router(context: ConciergeRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.get("/health/live") { _, _ in
            jsonResponse(status: .ok, ["status": "live"])
        }
        router.get("/health/ready") { _, _ in
            let report = await readiness.report()
            return jsonResponse(status: report.isReady ? .ok : .serviceUnavailable, report)
        }
        router.add(middleware: AuthenticationMiddleware(authority: authority, metrics: metrics))
        router.get("/metrics") { _, context in
            try context.caller().require([.operations], to: "read the metrics")
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render()))
            )
        }
        router.add(middleware: StartupGateMiddleware(readiness: readiness))
        return router
    }

    static func jsonResponse(status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Answers 503 on everything but health and metrics until the schema is migrated.
struct StartupGateMiddleware<Context: RequestContext>: RouterMiddleware {
    let readiness: Readiness

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard readiness.migrationsApplied else {
            throw APIError(
                .serviceUnavailable, error: "starting", detail: "the service is starting; retry in a few seconds")
        }
        return try await next(request, context)
    }
}
