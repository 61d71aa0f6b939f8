#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A growable byte buffer for the rendering hot path: reserve once per line, then copy without checks.
///
/// Owned by exactly one ``ScrapeRenderer`` (which is non-copyable), so it is never shared.
final class ByteSink: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    /// Bytes allocated.
    private(set) var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to minimum: Int) {
        let newCapacity = max(minimum, capacity * 2)
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends bytes; the caller has reserved room.
    @inline(__always)
    func put(_ pointer: UnsafeRawPointer, _ length: Int) {
        (base + count).copyMemory(from: pointer, byteCount: length)
        count += length
    }

    /// Appends one byte; the caller has reserved room.
    @inline(__always)
    func put(_ byte: UInt8) {
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Appends an array's bytes; the caller has reserved room.
    @inline(__always)
    func put(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { if let address = $0.baseAddress { put(address, $0.count) } }
    }

    /// Appends bytes, reserving room first.
    @inline(__always)
    func append(_ bytes: [UInt8]) {
        reserve(bytes.count)
        put(bytes)
    }

    /// Forgets the content, keeping the capacity.
    func reset() { count = 0 }

    /// The content.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
