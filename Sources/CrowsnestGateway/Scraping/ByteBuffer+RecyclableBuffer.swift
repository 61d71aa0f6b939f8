public import NIOCore

/// Body buffers: the gzip body of a scrape is inflated into one.
extension ByteBuffer: RecyclableBuffer {
    public init(recyclableCapacity capacity: Int) {
        self = ByteBufferAllocator().buffer(capacity: capacity)
    }

    public mutating func removeAllKeepingCapacity() {
        clear()
    }
}
