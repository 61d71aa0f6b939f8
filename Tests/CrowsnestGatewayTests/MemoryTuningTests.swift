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

    @Test("after a large buffer is freed, 2 MiB buffers still get their own mappings (no dynamic threshold rise)")
    func largeBuffersStayMapped() {
        #expect(MemoryTuning.applyForGateway())
        // Without the fixed threshold, freeing a mapped 8 MiB chunk raises glibc's threshold to 8 MiB, and 2 MiB
        // buffers then come from the heap.
        let large = malloc(8 << 20)!
        memset(large, 1, 8 << 20)
        // Used, so not optimized away. (Whether it is mapped depends on the free chunks this shared process holds.)
        #expect(large.load(fromByteOffset: 12_345, as: UInt8.self) == 1)
        free(large)
        // This process (the whole test suite) may hold free heap chunks large enough for a few 2 MiB buffers, and
        // malloc serves those first: once they are used up, a buffer over the threshold must be mapped.
        var buffers: [UnsafeMutableRawPointer] = []
        for _ in 0..<128 { buffers.append(malloc(2 << 20)!) }  // 256 MiB of address space, untouched
        defer { for buffer in buffers { free(buffer) } }
        #expect(isMapped(buffers.last!))
        let small = malloc(64 << 10)!
        defer { free(small) }
        #expect(!isMapped(small), "buffers under the threshold stay on the heap")
    }
}
#endif
