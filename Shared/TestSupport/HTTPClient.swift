import Synchronization
import Foundation
import ServiceKit

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Minimal HTTP for tests: status and JSON body. Requests carry an operations bearer token unless told otherwise
/// (`token: nil` sends none).
public enum TestHTTP {
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        public var headers: [String: String]

        public func json() throws -> Any { try JSONSerialization.jsonObject(with: body) }
    }

    /// Signs tokens with the test key ring (`TestEnvironment.authKeys`), the one `ConciergeStack` and
    /// `ServiceHarness` give the services.
    public static let authority: AccessTokenAuthority = {
        do {
            return try AccessTokenAuthority(
                environment: EnvironmentReader(["AUTH_JWT_KEYS": TestEnvironment.authKeys]))
        } catch {
            fatalError("the test key ring is invalid: \(error)")
        }
    }()

    /// A valid token for this caller (one hour).
    public static func token(_ staffID: String, role: Principal.Role, branch: String? = nil) -> String {
        authority.sign(Principal(staffID: staffID, role: role, branchID: branch))
    }

    /// The default: operations, which may see everything.
    public static let operationsToken = token("OPS-TEST", role: .operations)

    public static func get(_ url: String, token: String? = operationsToken) async -> Response? {
        await send(URLRequest(url: URL(string: url)!), token: token)
    }

    public static func post(_ url: String, json: Any, token: String? = operationsToken) async -> Response? {
        await post(url, body: (try? JSONSerialization.data(withJSONObject: json)) ?? Data(), token: token)
    }

    /// POSTs an already encoded JSON body.
    public static func post(_ url: String, body: Data, token: String? = operationsToken) async -> Response? {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        return await send(request, token: token)
    }

    private static func send(_ request: URLRequest, token: String?) async -> Response? {
        var request = request
        request.timeoutInterval = 5
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            let http = response as? HTTPURLResponse
        else { return nil }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Response(status: http.statusCode, body: data, headers: headers)
    }

    /// Polls until `check` returns a value or `timeout` passes.
    public static func eventually<T: Sendable>(
        timeout: Duration, interval: Duration = .milliseconds(100), _ check: @Sendable () async throws -> T?
    ) async rethrows -> T? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let value = try await check() { return value }
            try? await Task.sleep(for: interval)
        } while ContinuousClock.now < deadline
        return try await check()
    }
}

/// Ports `freeTCPPort()` has handed out in this process: never twice.
private let portsHandedOut = Mutex<Set<Int>>([])

/// A free TCP port on loopback for a server that a test starts.
///
/// It is taken below the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`, usually from 32768).
/// A port from that range (bind to 0) stays free only until some process opens an outgoing connection, and the
/// tests' Kafka clients open many. Once a service lost its port that way between the choice and its own bind
/// (`Address already in use`), and the reliability suite's case 3 failed at start-up. No port is handed out twice in
/// one process, and each is checked free with a bind before it is returned.
public func freeTCPPort() -> Int {
    let ephemeralLow =
        (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
        .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32_768
    let range = 20_000..<max(20_001, min(ephemeralLow, 65_536))
    for _ in 0..<1_000 {
        let port = Int.random(in: range)
        guard portsHandedOut.withLock({ $0.insert(port).inserted }), bindLoopback(port: port) != nil else { continue }
        return port
    }
    // Nothing free below the ephemeral range: let the kernel choose.
    return bindLoopback(port: 0) ?? 0
}

/// Binds a TCP socket on 127.0.0.1 to `port` (0: any), closes it, and returns the port bound, or `nil` if taken.
private func bindLoopback(port: Int) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { return nil }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
