import ArgumentParser

/// `concierge`: the operator's and front-end developer's tool for a running Concierge.
@main
struct ConciergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concierge",
        abstract: "Publish contract events, seed demo data, read topics, issue API tokens and run the development broker.",
        discussion: """
            Kafka settings come from the environment like the services' own: KAFKA_BROKERS and KAFKA_* librdkafka \
            properties. `make run` writes them to .concierge/dev.env; `set -a; . .concierge/dev.env; set +a` loads them.
            """,
        subcommands: [
            PublishCommand.self, SeedCommand.self, ConsumeCommand.self, TokenCommand.self, DevBrokerCommand.self,
            BenchKafkaCommand.self,
            SimulateCommand.self,
        ]
    )
}
