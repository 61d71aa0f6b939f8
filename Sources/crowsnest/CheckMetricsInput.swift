#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The payload `check metrics` reads: a regular file (or standard input redirected from one) is memory-mapped with
/// its pages populated up front, without a copy; a pipe is read into one growing buffer.
final class CheckMetricsInput {
    /// The payload bytes, valid while this object lives.
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Why the payload could not be read.
    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads `path`, or standard input for `-`.
    init(path: String) throws(ReadError) {
        let descriptor: Int32
        if path == "-" {
            descriptor = STDIN_FILENO
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ReadError(description: String(cString: strerror(errno))) }
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ReadError(description: String(cString: strerror(errno))) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw ReadError(description: "is a directory") }
        if (status.st_mode & S_IFMT) == S_IFREG && status.st_size > 0 {
            let size = Int(status.st_size)
            #if os(Linux)
            let flags = MAP_PRIVATE | MAP_POPULATE
            #else
            let flags = MAP_PRIVATE
            #endif
            let address = mmap(nil, size, PROT_READ, flags, descriptor, 0)
            if let address, address != MAP_FAILED {
                bytes = UnsafeRawBufferPointer(start: address, count: size)
                mapped = true
                return
            }
        }
        bytes = try Self.readAll(descriptor)
        mapped = false
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            bytes.baseAddress.map { free(UnsafeMutableRawPointer(mutating: $0)) }
        }
    }

    /// Reads a descriptor to its end into a `malloc`ed buffer.
    private static func readAll(_ descriptor: Int32) throws(ReadError) -> UnsafeRawBufferPointer {
        var capacity = 1 << 16
        var count = 0
        guard var buffer = malloc(capacity) else { throw ReadError(description: "out of memory") }
        while true {
            if count == capacity {
                capacity *= 2
                guard let grown = realloc(buffer, capacity) else {
                    free(buffer)
                    throw ReadError(description: "out of memory")
                }
                buffer = grown
            }
            let received = read(descriptor, buffer + count, capacity - count)
            if received == 0 { break }
            if received < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                free(buffer)
                throw ReadError(description: reason)
            }
            count += received
        }
        return UnsafeRawBufferPointer(start: buffer, count: count)
    }
}
