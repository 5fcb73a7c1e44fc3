import NIOCore

/// Splits a byte stream into Kafka frames: a big-endian int32 size, then that many bytes. The broker reads
/// requests and `KafkaClient` reads responses with it; each frame is emitted as a slice of the inbound buffer.
///
/// A negative size, or one above `maxFrameSize`, throws `FrameTooLarge`: the stream is not Kafka (or is corrupt),
/// and the channel's error handler closes that connection only (the broker's limit is `socket.request.max.bytes`).
/// Once a frame's size is known the buffer reserves room for the whole frame, so a frame of several MB is gathered
/// with one copy instead of the buffer doubling (and copying) its way up. A partial frame at EOF is dropped: the
/// peer went away mid-frame and nothing can answer it.
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// A frame's size prefix is negative or above the decoder's limit.
    public struct FrameTooLarge: Error, Equatable {
        /// The size prefix as read from the stream.
        public let size: Int32
        /// The largest frame the decoder accepts.
        public let limit: Int

        public init(size: Int32, limit: Int) {
            self.size = size
            self.limit = limit
        }
    }

    /// The largest frame body (size prefix excluded) accepted.
    public let maxFrameSize: Int
    /// When set, the limit in force instead of `maxFrameSize` (it may change between frames).
    public let limit: FrameSizeLimit?

    public init(maxFrameSize: Int, limit: FrameSizeLimit? = nil) {
        self.maxFrameSize = maxFrameSize
        self.limit = limit
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        let max = limit?.value ?? maxFrameSize
        guard size >= 0, Int(size) <= max else { throw FrameTooLarge(size: size, limit: max) }
        let frameLength = 4 + Int(size)
        guard buffer.readableBytes >= frameLength else {
            buffer.reserveCapacity(minimumWritableBytes: frameLength - buffer.readableBytes)
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 4)
        let frame = buffer.readSlice(length: Int(size))!
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}
