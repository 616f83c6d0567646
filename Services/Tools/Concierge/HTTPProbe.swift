import Foundation
import ServiceKit

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

enum HTTPProbe {
    struct Timeout: Error, CustomStringConvertible {
        var url: String
        var description: String { "timed out waiting for \(url)" }
    }

    /// An operations token for the probe, from the key ring in the environment (`AUTH_JWT_KEYS`), if there is one.
    static let token: String? = (try? AccessTokenAuthority(environment: EnvironmentReader())).map {
        $0.sign(Principal(staffID: "concierge-cli", role: .operations, branchID: nil), lifetime: .seconds(600))
    }

    static func status(_ url: String) async -> Int? {
        guard let url = URL(string: url) else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    /// Polls `url` until it answers 200 or `deadline` passes.
    static func waitForOK(_ url: String, until deadline: ContinuousClock.Instant) async throws {
        while ContinuousClock.now < deadline {
            if await status(url) == 200 { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw Timeout(url: url)
    }
}
