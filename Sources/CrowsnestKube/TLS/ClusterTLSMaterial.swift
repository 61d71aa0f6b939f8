import CrowsnestCore
import NIOSSL

/// The PEM inputs of one cluster's TLS configuration; equal inputs give the same (cached) configuration, so AHC
/// reuses the same connection pool.
struct ClusterTLSMaterial: Sendable, Equatable {
    var caPEM: String?
    var certificatePEM: String?
    var keyPEM: String?
    var serverName: String?
    var insecureSkipVerify: Bool

    /// Builds the client TLS configuration; errors name the cluster and the part that is wrong.
    func makeConfiguration(cluster: String) throws(KubeClientError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if insecureSkipVerify {
            tls.certificateVerification = .none
        } else {
            if let caPEM {
                let roots: [NIOSSLCertificate]
                do {
                    roots = try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))
                } catch {
                    throw KubeClientError(.tls, cluster: cluster, "cluster \(cluster): the CA bundle is not valid PEM")
                }
                guard !roots.isEmpty else {
                    throw KubeClientError(
                        .tls,
                        cluster: cluster,
                        "cluster \(cluster): the CA bundle holds no certificate"
                    )
                }
                tls.trustRoots = .certificates(roots)
            }
            // AHC sends the URL's host as SNI and cannot verify against another name per request; with
            // server_name the chain is still verified against this cluster's own CA, the host name is not.
            if serverName != nil { tls.certificateVerification = .noHostnameVerification }
        }
        if let certificatePEM, let keyPEM {
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
                guard !chain.isEmpty else { throw NIOSSLError.failedToLoadCertificate }
                tls.certificateChain = chain.map { .certificate($0) }
            } catch {
                throw KubeClientError(
                    .tls,
                    cluster: cluster,
                    "cluster \(cluster): the client certificate is not valid PEM"
                )
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
            } catch {
                throw KubeClientError(
                    .tls,
                    cluster: cluster,
                    "cluster \(cluster): the client key is not a valid PEM private key"
                )
            }
        }
        return tls
    }
}
