/// Line buffers: a scrape's rendered lines, held by its ``TargetSnapshot``.
extension Array: RecyclableBuffer where Element == UInt8 {
    public init(recyclableCapacity capacity: Int) {
        self.init()
        reserveCapacity(capacity)
    }

    public mutating func removeAllKeepingCapacity() {
        removeAll(keepingCapacity: true)
    }
}
