import KafkaFraming
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite("Kafka frame decoder")
struct KafkaFrameDecoderTests {
    private static func frame(_ body: [UInt8]) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(Int32(body.count))
        b.writeBytes(body)
        return b
    }

    @Test("emits each size-prefixed frame however the bytes are split")
    func verifier() throws {
        let bodies: [[UInt8]] = [[], [1], [0, 0, 0, 0], Array(0..<200).map { UInt8($0) }, [9, 8, 7]]
        let pairs = bodies.map { (Self.frame($0), [ByteBuffer(bytes: $0)]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            KafkaFrameDecoder(maxFrameSize: 1024)
        }
    }

    @Test("a frame of exactly the limit is accepted, one byte more throws FrameTooLarge")
    func limit() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 16)))
        try channel.writeInbound(Self.frame(Array(repeating: 7, count: 16)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: Array(repeating: 7, count: 16)))
        #expect(throws: KafkaFrameDecoder.FrameTooLarge(size: 17, limit: 16)) {
            try channel.writeInbound(Self.frame(Array(repeating: 7, count: 17)))
        }
        _ = try? channel.finish()
    }

    @Test("a negative size prefix throws FrameTooLarge")
    func negativeSize() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 16)))
        var b = ByteBuffer()
        b.writeInteger(Int32(-1))
        #expect(throws: KafkaFrameDecoder.FrameTooLarge(size: -1, limit: 16)) { try channel.writeInbound(b) }
        _ = try? channel.finish()
    }

    @Test("once the size is known the buffer reserves the whole frame")
    func reservesWholeFrame() throws {
        var decoder = KafkaFrameDecoder(maxFrameSize: 1 << 20)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 1)))
        let context = try channel.pipeline.syncOperations.context(
            handlerType: ByteToMessageHandler<KafkaFrameDecoder>.self)
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(500_000))
        buffer.writeBytes([1, 2, 3])
        #expect(try decoder.decode(context: context, buffer: &buffer) == .needMoreData)
        #expect(buffer.writableBytes >= 500_000 - 3)
        #expect(buffer.readableBytes == 7)
        _ = try? channel.finish()
    }

    @Test("a partial frame at EOF is dropped without leftovers")
    func partialFrameAtEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 64)))
        var b = Self.frame([1, 2])
        b.writeInteger(Int32(10))
        b.writeBytes([5])
        try channel.writeInbound(b)
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [1, 2]))
        #expect(try channel.finish().isClean)
    }
}
