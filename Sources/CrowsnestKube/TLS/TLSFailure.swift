import NIOSSL

/// How a request's TLS failed, told by the error's type (NIOSSL's and BoringSSL's error types), never by its text.
enum TLSFailure: Sendable, Hashable {
    /// The chain verified but is not for the host name (NIOSSL checks the name after BoringSSL's verification).
    case hostname
    /// The handshake failed: chain verification, or no TLS at all on the other side.
    case handshake

    /// The failure `error` shows, or `nil` when it is not a TLS error.
    init?(_ error: any Error) {
        if let extra = error as? NIOSSLExtraError {
            self =
                extra == .failedToValidateHostname || extra == .serverHostnameImpossibleToMatch ? .hostname : .handshake
        } else if error is NIOSSLError || error is BoringSSLError {
            self = .handshake
        } else {
            return nil
        }
    }
}
