import Foundation
import Testing

/// A Dockerfile split into instructions and build stages: enough to check its structure.
/// Continuation lines (`\`) are joined; comment lines and parser directives are dropped.
struct ParsedDockerfile {
    struct Instruction {
        /// Upper-cased instruction name, e.g. `RUN`.
        let keyword: String
        let arguments: String
    }

    struct Stage {
        /// The `FROM` image, with `${ARG}` references replaced by the global ARG defaults.
        let baseImage: String
        let name: String?
        var instructions: [Instruction] = []

        func all(_ keyword: String) -> [Instruction] {
            instructions.filter { $0.keyword == keyword }
        }

        /// Declared build arguments (names only).
        var argumentNames: [String] {
            all("ARG").map { String($0.arguments.prefix { $0 != "=" && !$0.isWhitespace }) }
        }

        /// All RUN commands of the stage, joined.
        var runText: String {
            all("RUN").map(\.arguments).joined(separator: "\n")
        }
    }

    /// `ARG`s before the first `FROM`, with their defaults.
    private(set) var globalArguments: [String: String] = [:]
    private(set) var stages: [Stage] = []

    init(_ text: String) {
        var logicalLines: [String] = []
        var pending = ""
        for rawLine in text.components(separatedBy: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }  // comments, also inside continued instructions
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let complete = pending + line
            pending = ""
            if !complete.trimmingCharacters(in: .whitespaces).isEmpty {
                logicalLines.append(complete)
            }
        }

        for line in logicalLines {
            let keyword = String(line.prefix { !$0.isWhitespace }).uppercased()
            let arguments = line.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            let instruction = Instruction(keyword: keyword, arguments: arguments)
            if keyword == "FROM" {
                let words = arguments.split(separator: " ").map(String.init)
                let image = words.first { !$0.hasPrefix("--") } ?? ""
                let asIndex = words.firstIndex { $0.uppercased() == "AS" }
                let name = asIndex.flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
                stages.append(Stage(baseImage: substituteGlobalArguments(image), name: name))
            } else if stages.isEmpty {
                if keyword == "ARG" {
                    let parts = arguments.split(separator: "=", maxSplits: 1).map(String.init)
                    globalArguments[parts[0]] = parts.count > 1 ? parts[1] : ""
                }
            } else {
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
    }

    private func substituteGlobalArguments(_ image: String) -> String {
        var result = image
        for (name, value) in globalArguments {
            result = result.replacingOccurrences(of: "${\(name)}", with: value)
                .replacingOccurrences(of: "$\(name)", with: value)
        }
        return result
    }
}

@Suite("deploy/Dockerfile")
struct DockerfileTests {
    let dockerfile: ParsedDockerfile
    let build: ParsedDockerfile.Stage
    let runtime: ParsedDockerfile.Stage

    init() throws {
        dockerfile = ParsedDockerfile(try DeployFiles.text("deploy/Dockerfile"))
        build = try #require(dockerfile.stages.first, "no build stage")
        runtime = try #require(dockerfile.stages.last, "no runtime stage")
    }

    @Test("is multi-stage: a Swift bookworm build stage and a debian:bookworm-slim runtime stage")
    func stages() {
        #expect(dockerfile.stages.count >= 2)
        #expect(build.baseImage.hasPrefix("swift:"))
        #expect(build.baseImage.hasSuffix("-bookworm"))
        #expect(runtime.baseImage == "debian:bookworm-slim")
    }

    @Test("declares ARG EXEC_NAME in both stages (ARGs do not cross FROM)")
    func execNameArgument() {
        #expect(build.argumentNames.contains("EXEC_NAME"))
        #expect(runtime.argumentNames.contains("EXEC_NAME"))
    }

    @Test("build stage installs librdkafka-dev and builds the EXEC_NAME product statically")
    func buildStage() {
        let run = build.runText
        #expect(run.contains("librdkafka-dev"))
        #expect(run.contains("swift build -c release --product \"$EXEC_NAME\" --static-swift-stdlib"))
        // SwiftPM resource bundles (the SQL migrations) travel with the binary.
        #expect(run.contains("*.resources"))
    }

    @Test("runtime stage installs librdkafka1, CA certificates, tzdata and curl, but no -dev package")
    func runtimePackages() {
        let run = runtime.runText
        for package in ["librdkafka1", "ca-certificates", "tzdata", "curl"] {
            #expect(run.contains(package), "runtime stage does not install \(package)")
        }
        #expect(!run.contains("librdkafka-dev"))
        #expect(runtime.all("COPY").contains { $0.arguments.contains("--from=build") })
    }

    @Test("runtime stage runs as a numeric non-root user")
    func nonRootUser() throws {
        let user = try #require(runtime.all("USER").last, "runtime stage has no USER").arguments
        let uid = try #require(Int(user.split(separator: ":")[0]), "USER should be numeric for runAsNonRoot")
        #expect(uid != 0)
    }

    @Test("exposes the port and starts the binary from a fixed exec-form ENTRYPOINT")
    func entrypoint() throws {
        #expect(!runtime.all("EXPOSE").isEmpty)
        let entrypoint = try #require(runtime.all("ENTRYPOINT").last, "no ENTRYPOINT").arguments
        // Exec form is a JSON array; a build argument would not be expanded inside it.
        let command = try JSONDecoder().decode([String].self, from: Data(entrypoint.utf8))
        let executable = try #require(command.first)
        #expect(executable.hasPrefix("/app/"))
        #expect(!entrypoint.contains("$"))
    }
}
