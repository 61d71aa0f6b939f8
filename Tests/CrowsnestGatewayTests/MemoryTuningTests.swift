import CrowsnestGateway
import Testing

#if canImport(Glibc)
import Glibc

@Suite("Memory tuning")
struct MemoryTuningTests {
    /// Whether glibc serves `pointer` from its own mapping: the IS_MMAPPED bit (0x2) of the chunk's size field, the
    /// word just before the pointer.
    private func isMapped(_ pointer: UnsafeMutableRawPointer) -> Bool {
        (pointer - 8).load(as: UInt64.self) & 0x2 != 0
    }

    @Test("after a large buffer is freed, a 2 MiB buffer still gets its own mapping (no dynamic threshold rise)")
    func largeBuffersStayMapped() {
        #expect(MemoryTuning.applyForGateway())
        // Without the fixed threshold, freeing a mapped 8 MiB chunk raises glibc's threshold to 8 MiB and the next
        // 2 MiB buffer comes from the heap.
        let large = malloc(8 << 20)!
        memset(large, 1, 8 << 20)
        #expect(isMapped(large) && large.load(fromByteOffset: 12_345, as: UInt8.self) == 1)  // used, not optimized away
        free(large)
        let buffer = malloc(2 << 20)!
        defer { free(buffer) }
        #expect(isMapped(buffer))
        let small = malloc(64 << 10)!
        defer { free(small) }
        #expect(!isMapped(small), "buffers under the threshold stay on the heap")
    }
}
#endif
