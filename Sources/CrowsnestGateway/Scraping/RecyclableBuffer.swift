/// A buffer a ``BufferRecycler`` can keep between scrapes: it tells its capacity, can be made with one, and can be
/// emptied without giving its memory back.
public protocol RecyclableBuffer: Sendable {
    /// Bytes it can hold without growing.
    var capacity: Int { get }
    /// An empty buffer with room for at least `capacity` bytes.
    init(recyclableCapacity capacity: Int)
    /// Forgets the content and keeps the memory (new memory when the storage is shared, as copy-on-write asks).
    mutating func removeAllKeepingCapacity()
}
