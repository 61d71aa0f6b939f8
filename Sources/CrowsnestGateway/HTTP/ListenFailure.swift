import Foundation
import NIOCore

/// Why the gateway could not bind its listen address, in words a user acts on. NIO's bind error prints as
/// "bind(descriptor:ptr:bytes:): Address already in use (errno: 98)", which names neither the address nor a fix.
public enum ListenFailure {
    /// The reason when `error` is a bind failure (NIO's `IOError` with a bind errno), else `nil`.
    public static func reason(_ error: any Error) -> String? {
        guard let error = error as? IOError else { return nil }
        switch error.errnoCode {
        case EADDRINUSE: return "address already in use (another process listens there; pick another --listen)"
        case EACCES: return "permission denied (ports below 1024 need privileges)"
        case EADDRNOTAVAIL: return "address not available (no interface of this machine has it)"
        default: return nil
        }
    }
}
