import NIOCore

/// Splits the inbound byte stream into Kafka frames: a big-endian int32 size, then that many bytes.
/// A negative size or one above `socket.request.max.bytes` closes the connection (that connection only).
struct KafkaFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct FrameTooLarge: Error { let size: Int32 }

    let maxFrameSize: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= maxFrameSize else { throw FrameTooLarge(size: size) }
        guard buffer.readableBytes >= 4 + Int(size) else {
            // Room for the whole frame now, so the reads that complete it are appended once instead of the buffer
            // doubling (and copying) its way up to a 1 MB produce request.
            buffer.reserveCapacity(minimumWritableBytes: 4 + Int(size) - buffer.readableBytes)
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 4)
        let frame = buffer.readSlice(length: Int(size))!
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A partial frame at EOF is dropped: the client went away mid-request.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}
