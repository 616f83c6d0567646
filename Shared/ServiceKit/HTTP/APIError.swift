import Foundation
import Logging
import HTTPTypes
import Hummingbird
import NIOCore

/// An HTTP error in the contract's shape: `{"error": "...", "detail": "..."}` with a fitting status.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A short machine-readable code, e.g. `not_found`, `invalid_parameter`.
    public var error: String
    /// A sentence a person can act on.
    public var detail: String
    /// The request fields at fault, when there are several a front end should highlight (`customerFile.contact`).
    public var fields: [String]?
    /// Response headers beside the body (`WWW-Authenticate` on a 401).
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, error: String, detail: String, fields: [String]? = nil, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.error = error
        self.detail = detail
        self.fields = fields
        self.headers = headers
    }

    public static func notFound(_ detail: String) -> APIError {
        APIError(.notFound, error: "not_found", detail: detail)
    }

    public static func badRequest(_ detail: String, error: String = "invalid_request") -> APIError {
        APIError(.badRequest, error: error, detail: detail)
    }

    public static func conflict(_ detail: String) -> APIError {
        APIError(.conflict, error: "conflict", detail: detail)
    }

    /// 422: the request is well-formed but says too little or something impossible; `fields` names each field.
    public static func unprocessable(_ detail: String, error: String, fields: [String]? = nil) -> APIError {
        APIError(.unprocessableContent, error: error, detail: detail, fields: fields)
    }

    /// 401: no usable bearer token (RFC 6750 §3).
    public static func unauthorized(_ detail: String, error: String) -> APIError {
        let challenge = error == "invalid_token" ? "Bearer realm=\"concierge\", error=\"invalid_token\"" : "Bearer realm=\"concierge\""
        return APIError(.unauthorized, error: error, detail: detail, headers: [.wwwAuthenticate: challenge])
    }

    /// 403: the caller is known but may not see or do this.
    public static func forbidden(_ detail: String) -> APIError {
        APIError(.forbidden, error: "forbidden", detail: detail)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Self.jsonResponse(status: status, error: error, detail: detail, fields: fields)
        response.headers.append(contentsOf: headers)
        return response
    }

    static func jsonResponse(status: HTTPResponse.Status, error: String, detail: String, fields: [String]? = nil)
        -> Response
    {
        struct Body: Encodable {
            var error: String
            var detail: String
            var fields: [String]?
        }
        let data = (try? JSONEncoder().encode(Body(error: error, detail: detail, fields: fields))) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Turns every error escaping a route into the contract's JSON error body: ours as they are, Hummingbird's own
/// (unknown route, bad body) with their status, anything else as a 500 that does not leak internals.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            return APIError.jsonResponse(
                status: error.status, error: code, detail: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            return APIError.jsonResponse(
                status: error.status, error: "request_failed", detail: error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(FailureKind.summary(error))"])
            return APIError.jsonResponse(
                status: .internalServerError, error: "internal_error",
                detail: "the service could not complete the request; see its log")
        }
    }
}
