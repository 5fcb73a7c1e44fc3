import NIOCore

/// Splits the byte stream into Kafka response frames (4-byte big-endian size, then the frame).
struct ResponseFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// Upper bound on one response; a larger size means the stream is not Kafka (or is corrupt).
    let maxFrameSize: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= maxFrameSize else { throw FrameTooLarge(size: Int(size)) }
        guard buffer.readableBytes >= 4 + Int(size) else {
            // Room for the whole frame at once: a replica fetch answer of several MB is then gathered with one copy
            // instead of the buffer doubling (and copying) its way up.
            buffer.reserveCapacity(minimumWritableBytes: 4 + Int(size) - buffer.readableBytes)
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let frame = buffer.readSlice(length: Int(size)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }
}

struct FrameTooLarge: Error {
    var size: Int
}
