import Foundation
import NIOSSL
import PostgresNIO

/// Where a service's PostgreSQL lives and how it connects.
///
/// Read from `<SERVICE>_DATABASE_URL` (for example `INTAKE_DATABASE_URL`) or else `DATABASE_URL`, in libpq URL
/// form: `postgres://role:password@host:5432/database?sslmode=require`. A `host=/path` query parameter selects a
/// Unix-domain socket directory. The password is never logged (``redactedURL``).
public struct DatabaseSettings: Sendable {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCertificatePath: String?
    /// The service's own schema; every unqualified table name resolves to it (`search_path`).
    public var schema: String
    public var maximumConnections: Int = 10

    /// Parses a libpq-style URL.
    /// - Throws: ``ConfigurationError`` naming `key` when the URL is unusable.
    public init(url: String, schema: String, key: String = "DATABASE_URL") throws(ConfigurationError) {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw ConfigurationError(key: key, reason: "expected postgres://role:password@host:port/database")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { _, last in last }
        )
        let port = components.port ?? Int(query["port"] ?? "") ?? 5432
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            endpoint = .unixSocket(path: "\(socketDirectory)/.s.PGSQL.\(port)")
        } else {
            let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            endpoint = .tcp(host: host, port: port)
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw ConfigurationError(key: key, reason: "the URL names no role (postgres://ROLE@host/database)")
        }
        username = user
        password = components.password?.removingPercentEncoding
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty else {
            throw ConfigurationError(key: key, reason: "the URL names no database (postgres://role@host/DATABASE)")
        }
        database = path
        let mode = query["sslmode"] ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            let allowed = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(key: key, reason: "sslmode \"\(mode)\" is not one of \(allowed)")
        }
        self.sslMode = sslMode
        sslRootCertificatePath = query["sslrootcert"]
        guard Self.isValidIdentifier(schema) else {
            throw ConfigurationError(key: "DATABASE_SCHEMA", reason: "\"\(schema)\" is not a plain lower-case identifier")
        }
        self.schema = schema
    }

    /// The URL with the password replaced, for logs and the start-up banner.
    public var redactedURL: String {
        let location: String
        switch endpoint {
        case .tcp(let host, let port): location = "\(host):\(port)"
        case .unixSocket(let path): location = path
        }
        return "postgres://\(username)\(password == nil ? "" : ":***")@\(location)/\(database) (schema \(schema))"
    }

    /// `[a-z_][a-z0-9_]{0,62}`: safe to splice into SQL as an identifier.
    public static func isValidIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        let lower = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz_")
        let rest = lower.union(CharacterSet(charactersIn: "0123456789"))
        return lower.contains(first) && name.unicodeScalars.allSatisfy { rest.contains($0) }
    }

    /// The PostgresNIO client configuration: pool size, `search_path` set to the service schema at connection start.
    public func makeClientConfiguration() throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database, tls: try makeTLS())
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [
            ("search_path", schema), ("application_name", "concierge-\(schema)"),
        ]
        return configuration
    }

    private func makeTLS() throws -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let sslRootCertificatePath {
            tls.trustRoots = .file(sslRootCertificatePath)
        }
        switch sslMode {
        case .disable:
            return .disable
        case .allow, .prefer:
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            // libpq's `require` encrypts without verifying the server certificate.
            tls.certificateVerification = .none
            return .require(tls)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            return .require(tls)
        }
    }
}
