import KRaft
import Testing

@Suite("KRaft quorum configuration and quorum-state")
struct QuorumConfigTests {
    @Test("controller.quorum timing keys default to Kafka's values")
    func defaults() throws {
        let config = try QuorumConfig(properties: [:])
        #expect(config.electionTimeoutMs == 1_000)
        #expect(config.fetchTimeoutMs == 2_000)
        #expect(config.electionBackoffMaxMs == 1_000)
        #expect(config.requestTimeoutMs == 2_000)
        #expect(config.appendLingerMs == 25)
        #expect(config.retryBackoffMs == 20)
        let custom = try QuorumConfig(properties: ["controller.quorum.election.timeout.ms": "300"])
        #expect(custom.electionTimeoutMs == 300)
        #expect(throws: QuorumConfigError.self) {
            try QuorumConfig(properties: ["controller.quorum.fetch.timeout.ms": "soon"])
        }
    }

    @Test("controller.quorum.voters parses id@host:port entries")
    func parsesVoters() throws {
        let voters = try QuorumVoters.parse("1@kafka_kraft_1:9093,2@kafka_kraft_2:9095, 3@[::1]:9097")
        #expect(voters.map(\.id) == [1, 2, 3])
        #expect(voters[0].host == "kafka_kraft_1" && voters[0].port == 9093)
        #expect(voters[2].host == "::1" && voters[2].port == 9097)
        #expect(try QuorumVoters.parse("").isEmpty)
    }

    @Test("controller.quorum.voters errors read as Kafka's")
    func voterErrors() {
        func message(_ value: String) -> String? {
            do {
                _ = try QuorumVoters.parse(value)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(
            message("1-localhost:9093")
                == "Invalid configuration value for controller.quorum.voters. Each entry should be in the form `{id}@{host}:{port}`."
        )
        #expect(message("x@localhost:9093") == "Failed to parse voter ID as an integer from x")
        #expect(
            message("1@localhost")
                == "Failed to parse host name from entry 1@localhost for the configuration controller.quorum.voters. Each entry should be in the form `{id}@{host}:{port}`."
        )
        #expect(
            message("1@localhost:99999")
                == "Failed to parse host port from entry 1@localhost:99999 for the configuration controller.quorum.voters. Each entry should be in the form `{id}@{host}:{port}`."
        )
        #expect(message("1@0.0.0.0:9093") == "Host string (0.0.0.0) is not routeable")
    }

    @Test("quorum-state is written as Kafka's FileQuorumStateStore writes it")
    func quorumStateEncoding() throws {
        let state = ElectionState(epoch: 5, leaderId: 1, voters: [1, 2, 3])
        let text = QuorumStateFile.encode(state)
        #expect(
            text
                == #"{"clusterId":"","leaderId":1,"leaderEpoch":5,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}"#
        )
        #expect(try QuorumStateFile.decode(text) == state)
        let v1 = QuorumStateFile.encode(ElectionState(epoch: 2, votedId: 3, voters: []), dataVersion: 1)
        #expect(
            v1
                == #"{"leaderId":-1,"leaderEpoch":2,"votedId":3,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1}"#
        )
        #expect(try QuorumStateFile.decode(v1) == ElectionState(epoch: 2, votedId: 3, voters: []))
    }

    @Test("a quorum-state without data_version or of an unknown version is refused")
    func quorumStateErrors() {
        #expect(throws: QuorumStateFileError.missingField("data_version")) {
            try QuorumStateFile.decode(#"{"leaderId":1,"leaderEpoch":1,"votedId":-1}"#)
        }
        #expect(throws: QuorumStateFileError.unsupportedDataVersion(7)) {
            try QuorumStateFile.decode(#"{"leaderId":1,"leaderEpoch":1,"votedId":-1,"data_version":7}"#)
        }
        #expect(throws: QuorumStateFileError.notJSON) { try QuorumStateFile.decode("not json") }
    }
}
