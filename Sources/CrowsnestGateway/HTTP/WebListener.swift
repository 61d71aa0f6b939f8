public import CrowsnestCore
public import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// How the gateway's listener speaks: plain HTTP/1.1, or HTTPS with `web.tls_cert_file` / `web.tls_key_file`.
public enum WebListener {
    /// A certificate or key that cannot be used; the message names the file, never the key's content.
    public struct TLSError: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// The server builder for `web`: HTTPS when both TLS files are set, plain HTTP otherwise.
    ///
    /// The certificate file may hold a chain (leaf first). Reloading the certificate needs a restart.
    public static func serverBuilder(for web: WebConfig) throws -> HTTPServerBuilder {
        guard let certificateFile = web.tlsCertFile, let keyFile = web.tlsKeyFile else { return .http1() }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw TLSError(
                description: "web.tls_cert_file \(certificateFile): not a readable PEM certificate (\(type(of: error)))"
            )
        }
        guard !chain.isEmpty else {
            throw TLSError(description: "web.tls_cert_file \(certificateFile) holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw TLSError(description: "web.tls_key_file \(keyFile): not a readable PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        return try .tls(.http1(), tlsConfiguration: configuration)
    }
}
