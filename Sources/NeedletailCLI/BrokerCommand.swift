import ArgumentParser
import Broker
import Foundation
import KafkaConfig
import Logging

/// `needletail broker <server.properties> [--override key=value …]`: runs one broker in the foreground.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run a broker with a Kafka server.properties file.",
        discussion: """
            Settings come from the properties file, then KAFKA_* environment variables (the Confluent images'
            convention: KAFKA_ZOOKEEPER_CONNECT sets zookeeper.connect), then --override pairs; later wins.
            Logs go to stdout. SIGTERM or SIGINT stops the broker cleanly.

            Example:
              needletail broker conf/server.properties --override broker.id=2 --override listeners=PLAINTEXT://localhost:9093
            """
    )

    @Argument(help: "Path to server.properties.")
    var propertiesFile: String

    @Option(name: .customLong("override"), help: "Override a setting: key=value (repeatable).")
    var overrides: [String] = []

    @Flag(name: .customLong("check-config"), help: "Validate the configuration, print it, and exit.")
    var checkConfig = false

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel =
                ProcessInfo.processInfo.environment["NEEDLETAIL_LOG_LEVEL"]
                .flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        let config: BrokerConfig
        do {
            config = try BrokerLauncher.loadConfig(
                file: propertiesFile, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("needletail: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if checkConfig {
            print("configuration OK")
            return
        }
        do {
            try await BrokerLauncher.run(config: config)
        } catch {
            FileHandle.standardError.write(Data("needletail: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
