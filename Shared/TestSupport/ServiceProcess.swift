import Foundation

/// A built executable (`intake`, `concierge`…) run as a separate process, its output in a log file.
public final class ServiceProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched through Foundation's thread-safe Process API, and `name`/`logFile`
    // are immutable.
    public let name: String
    public let logFile: URL
    private let process: Process

    /// Starts `executable` from the build directory with `arguments` and `environment` added to ours.
    public init(
        executable: String, arguments: [String] = [], environment: [String: String], logDirectory: URL,
        name: String? = nil
    ) throws {
        self.name = name ?? executable
        let process = Process()
        process.executableURL = TestEnvironment.binDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        process.environment = merged
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        logFile = logDirectory.appendingPathComponent("\(self.name)-\(UUID().uuidString.prefix(4)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
    }

    public var isRunning: Bool { process.isRunning }
    public var processIdentifier: Int32 { process.processIdentifier }

    /// SIGKILL: no graceful shutdown, no final commit.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then wait up to `timeout` for a clean exit (SIGKILL after that).
    public func terminate(timeout: Duration = .seconds(30)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill()
    }

    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// The signal that ended the process (`SIGKILL` = 9 after a fault point fired), `nil` while it runs or when it
    /// exited by itself.
    public var terminationSignal: Int32? {
        guard !process.isRunning, process.terminationReason == .uncaughtSignal else { return nil }
        return process.terminationStatus
    }

    /// Waits until the process has ended, for at most `timeout`; `false` if it still runs.
    public func waitUntilExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !process.isRunning
    }

    /// The last lines of the log, for failure messages.
    public func logTail(lines: Int = 40) -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
