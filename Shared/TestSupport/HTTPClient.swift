import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Minimal HTTP for tests: status and JSON body.
public enum TestHTTP {
    public struct Response: Sendable {
        public var status: Int
        public var body: Data

        public func json() throws -> Any { try JSONSerialization.jsonObject(with: body) }
    }

    public static func get(_ url: String) async -> Response? {
        await send(URLRequest(url: URL(string: url)!))
    }

    public static func post(_ url: String, json: Any) async -> Response? {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try? JSONSerialization.data(withJSONObject: json)
        return await send(request)
    }

    private static func send(_ request: URLRequest) async -> Response? {
        var request = request
        request.timeoutInterval = 5
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            let http = response as? HTTPURLResponse
        else { return nil }
        return Response(status: http.statusCode, body: data)
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

/// A free TCP port on loopback (bind to port 0, read it back, close).
public func freeTCPPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
