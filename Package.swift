// swift-tools-version:6.2
//
// Concierge: five message-driven services for a retail bank's VIP customer service operations.
// See README.md and docs/architecture.md.

import PackageDescription

/// Settings shared by every Swift target. Swift 6 language mode (the tools-version default) already
/// gives complete strict-concurrency checking.
let sharedSwiftSettings: [SwiftSetting] = [
    // SE-0335: spell out existential types.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0444: a file sees only the members of modules it imports itself.
    .enableUpcomingFeature("MemberImportVisibility"),
]

let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals: Target.Dependency = .product(name: "UnixSignals", package: "swift-service-lifecycle")
let postgres: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")
/// PostgresNIO's pool, built with it anyway: the kit classifies its errors (`ConnectionPoolError`).
let connectionPool: Target.Dependency = .product(name: "_ConnectionPoolModule", package: "postgres-nio")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

extension Target {
    /// One recipe for each of the five services: a library with the domain, handlers and routes
    /// (`Services/<Name>/Sources`, testable) and a thin executable (`Services/<Name>/Main`).
    static func serviceTargets(_ name: String) -> [Target] {
        [
            .target(
                name: name,
                dependencies: ["ServiceKit", "Events", log],
                path: "Services/\(name)/Sources",
                resources: [.copy("Migrations")],
                swiftSettings: sharedSwiftSettings
            ),
            .executableTarget(
                name: "\(name)Main",
                dependencies: [.target(name: name), "ServiceKit", lifecycle, unixSignals],
                path: "Services/\(name)/Main",
                swiftSettings: sharedSwiftSettings
            ),
        ]
    }
}

let serviceNames = ["Intake", "Assignment", "Engagement", "Complaints", "Scoring"]

let package = Package(
    name: "Concierge",
    platforms: [.macOS(.v15)],
    products: serviceNames.map { .executable(name: $0.lowercased(), targets: ["\($0)Main"]) } + [
        .executable(name: "concierge", targets: ["ConciergeCLI"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Already built for postgres-nio's SCRAM authentication; we use its AES-GCM for personal data at rest.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // Without its default traits Hummingbird does not pull in swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // librdkafka from Debian's librdkafka-dev. Only `Messaging` (and `MessagingTests`) import it.
        .systemLibrary(
            name: "CRdKafka",
            path: "Shared/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        .target(name: "Events", path: "Shared/Events", swiftSettings: sharedSwiftSettings),
        .target(
            name: "Messaging",
            dependencies: ["CRdKafka", log, lifecycle],
            path: "Shared/Messaging",
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                "Events", "Messaging", log, metrics, lifecycle, postgres, connectionPool, hummingbird, prometheus, nioCore,
                nioSSL,
                crypto,
            ],
            path: "Shared/ServiceKit",
            swiftSettings: sharedSwiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["ServiceKit", "Events", "Messaging", postgres, log],
            path: "Shared/TestSupport",
            swiftSettings: sharedSwiftSettings
        ),
        .executableTarget(
            name: "ConciergeCLI",
            dependencies: ["Events", "Messaging", "ServiceKit", argumentParser, log, lifecycle, unixSignals],
            path: "Services/Tools/Concierge",
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "EventsTests",
            dependencies: ["Events"],
            resources: [.copy("Fixtures")],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "MessagingTests",
            dependencies: ["Messaging", "CRdKafka", log, lifecycle],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: ["ServiceKit", "Events", "Messaging", "TestSupport", postgres, connectionPool, log],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "ServicesTests",
            dependencies: serviceNames.map { .target(name: $0) } + ["ServiceKit", "Events", "Messaging", "TestSupport", postgres, log],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Events", "Messaging", "ServiceKit", "TestSupport", log],
            swiftSettings: sharedSwiftSettings
        ),
        // The fault-injection suite (`make reliability`, docs/reliability.md); skipped unless CONCIERGE_RELIABILITY=1.
        .testTarget(
            name: "ReliabilityTests",
            dependencies: ["Events", "Messaging", "ServiceKit", "TestSupport", postgres, log],
            swiftSettings: sharedSwiftSettings
        ),
        // The benchmark (`make bench`, docs/performance.md); skipped unless CONCIERGE_BENCH=1.
        .testTarget(
            name: "BenchmarkTests",
            dependencies: ["Events", "Messaging", "TestSupport", postgres],
            swiftSettings: sharedSwiftSettings
        ),
        .testTarget(
            name: "DeployTests",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: sharedSwiftSettings
        ),
    ] + serviceNames.flatMap { Target.serviceTargets($0) }
)
