import ArgumentParser

@main
struct Needletail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "needletail",
        abstract: "A Kafka-compatible event-streaming broker coordinated by ZooKeeper.",
        subcommands: [
            BrokerCommand.self, TopicsCommand.self, ConsoleProducerCommand.self, ConsoleConsumerCommand.self,
            ConfigsCommand.self, GetOffsetsCommand.self, DeleteRecordsCommand.self, BrokerApiVersionsCommand.self,
            DumpLogCommand.self, ConsumerGroupsCommand.self, TransactionsCommand.self,
            ProducerPerfTestCommand.self, ConsumerPerfTestCommand.self, LeaderElectionCommand.self, LogDirsCommand.self,
            AclsCommand.self, StorageCommand.self, MetadataQuorumCommand.self,
        ]
    )
}
