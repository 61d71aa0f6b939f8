import CrowsnestCore
import CrowsnestGateway
import NIOCore
import Testing

/// What a ``BufferRecycler`` keeps and hands out: the same memory, emptied, only when its size fits, never more
/// than it may keep, and never memory someone else still reads.
@Suite("Buffer recycler")
struct BufferRecyclerTests {
    /// The address of an array's storage.
    static func address(_ bytes: [UInt8]) -> UInt {
        bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    /// An array of `capacity` bytes' room holding a few bytes.
    static func buffer(capacity: Int) -> [UInt8] {
        var buffer = [UInt8](recyclableCapacity: capacity)
        buffer.append(contentsOf: [1, 2, 3])
        return buffer
    }

    @Test("a kept buffer comes back empty, in the same memory, when its capacity is in the range asked for")
    func reuse() {
        let recycler = BufferRecycler<[UInt8]>(maximumIdle: 2, minimumBytes: 1024)
        let kept = Self.buffer(capacity: 4096)
        let address = Self.address(kept)
        recycler.giveBack(consume kept)
        #expect(recycler.idleCount == 1)
        // Outside the range: a new buffer of the capacity asked for, and the kept one stays.
        let tooSmall = recycler.take(minimumCapacity: 8192, maximumCapacity: 9000, capacity: 8192)
        #expect(tooSmall.capacity >= 8192 && tooSmall.isEmpty && Self.address(tooSmall) != address)
        let tooLarge = recycler.take(minimumCapacity: 100, maximumCapacity: 1000, capacity: 200)
        #expect(tooLarge.capacity >= 200 && tooLarge.capacity < 4096)
        #expect(recycler.idleCount == 1)
        let taken = recycler.take(minimumCapacity: 4000, maximumCapacity: 8192, capacity: 4096)
        #expect(taken.isEmpty)
        #expect(taken.capacity >= 4096)
        #expect(Self.address(taken) == address)
        #expect(recycler.idleCount == 0)
    }

    @Test("the smallest buffer that fits is taken")
    func smallestFit() {
        let recycler = BufferRecycler<[UInt8]>(maximumIdle: 4, minimumBytes: 1024)
        let large = Self.buffer(capacity: 16384)
        let small = Self.buffer(capacity: 5000)
        let smallAddress = Self.address(small)
        recycler.giveBack(consume large)
        recycler.giveBack(consume small)
        let taken = recycler.take(minimumCapacity: 4000, maximumCapacity: 1 << 20, capacity: 4000)
        #expect(Self.address(taken) == smallAddress)
        #expect(recycler.idleCount == 1)
    }

    @Test("buffers under the minimum are not kept, nor more than maximumIdle: the oldest go first")
    func bounds() {
        let recycler = BufferRecycler<[UInt8]>(maximumIdle: 2, minimumBytes: 1024)
        recycler.giveBack(Self.buffer(capacity: 100))
        #expect(recycler.idleCount == 0)
        let first = Self.buffer(capacity: 2000)
        let second = Self.buffer(capacity: 3000)
        let third = Self.buffer(capacity: 4000)
        let addresses = [first, second, third].map(Self.address)
        recycler.giveBack(consume first)
        recycler.giveBack(consume second)
        recycler.giveBack(consume third)
        #expect(recycler.idleCount == 2)
        #expect(recycler.idleBytes >= 7000 && recycler.idleBytes < 9000)
        // The oldest was let go: nothing kept fits it any more (its memory may be malloc's answer, so no address
        // comparison), and the two kept stay.
        _ = recycler.take(minimumCapacity: 1500, maximumCapacity: 2500, capacity: 2000)
        #expect(recycler.idleCount == 2)
        let fitsSecond = recycler.take(minimumCapacity: 2500, maximumCapacity: 3500, capacity: 3000)
        #expect(Self.address(fitsSecond) == addresses[1])
        let none = BufferRecycler<[UInt8]>(maximumIdle: 0, minimumBytes: 0)
        none.giveBack(Self.buffer(capacity: 4096))
        #expect(none.idleCount == 0)
    }

    @Test("a buffer still shared when given back is never written over: its other holder keeps its bytes")
    func sharedStorage() {
        let recycler = BufferRecycler<[UInt8]>(maximumIdle: 2, minimumBytes: 1024)
        let shared = Self.buffer(capacity: 4096)
        recycler.giveBack(shared)
        var taken = recycler.take(minimumCapacity: 4000, maximumCapacity: 8192, capacity: 4096)
        taken.append(contentsOf: [9, 9, 9, 9])
        #expect(shared == [1, 2, 3])
        #expect(taken == [9, 9, 9, 9])

        let bodies = BufferRecycler<ByteBuffer>(maximumIdle: 2, minimumBytes: 1024)
        var body = ByteBuffer(recyclableCapacity: 4096)
        body.writeString("first body")
        bodies.giveBack(body)
        var next = bodies.take(minimumCapacity: 4096, maximumCapacity: 8192, capacity: 4096)
        #expect(next.readableBytes == 0)
        next.writeString("second")
        #expect(body.readableBytesView.elementsEqual("first body".utf8))
    }

    @Test("a body buffer comes back cleared, in the same memory")
    func byteBufferReuse() {
        let recycler = BufferRecycler<ByteBuffer>(maximumIdle: 2, minimumBytes: 1024)
        var body = ByteBuffer(recyclableCapacity: 5000)
        body.writeString(String(repeating: "x", count: 4500))
        let address = body.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        recycler.giveBack(consume body)
        var taken = recycler.take(minimumCapacity: 5000, maximumCapacity: 16384, capacity: 5000)
        #expect(taken.readableBytes == 0)
        #expect(taken.capacity >= 5000)
        taken.writeString("y")
        #expect(taken.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == address)
    }

    @Test("a snapshot gives its lines' buffer back when it is freed, not before")
    func snapshotGivesBack() {
        let recycler = BufferRecycler<[UInt8]>(maximumIdle: 2, minimumBytes: 1024)
        var lines = RenderedScrape()
        lines.bytes = Self.buffer(capacity: 8192)
        let address = Self.address(lines.bytes)
        var snapshot: TargetSnapshot? = TargetSnapshot(
            key: TargetKey(cluster: "c", namespace: "n", pod: "p", port: "9100"),
            labels: [],
            lines: lines,
            health: ScrapeHealth(up: true, timestampMilliseconds: 0, durationSeconds: 0),
            recycler: recycler
        )
        lines = RenderedScrape()
        #expect(snapshot?.bytes == [1, 2, 3])
        #expect(recycler.idleCount == 0)
        snapshot = nil
        #expect(recycler.idleCount == 1)
        let taken = recycler.take(minimumCapacity: 8000, maximumCapacity: 16384, capacity: 8192)
        #expect(Self.address(taken) == address)
    }
}
