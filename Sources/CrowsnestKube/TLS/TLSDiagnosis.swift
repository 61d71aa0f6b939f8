public import Foundation
import X509

/// Why a TLS connection to an API server failed, found by comparing the chain the server presents with the CA
/// material the client trusts, and rendered as one sentence that says what to do.
///
/// BoringSSL reports every verification failure as `CERTIFICATE_VERIFY_FAILED`, which tells a user nothing about
/// which of the usual mistakes it is (another cluster's CA, an expired CA or serving certificate, a host name the
/// certificate is not for, a URL with the wrong scheme). The chain is fetched once after a failure
/// (``CertificateFetcher``) and compared here; the comparison is pure, so it is tested without a network.
public enum TLSDiagnosis: Sendable, Hashable {
    /// Where the trusted CA certificates came from, named the way the user configured them.
    public enum CASource: Sendable, Hashable, CustomStringConvertible {
        /// `tls.ca_file` (or `fetch-ca --ca-file`).
        case file(path: String)
        /// `tls.ca_data` / `tls.ca_data_base64` in the cluster file.
        case clusterFileData
        /// The kubeconfig's `certificate-authority` (a path) or `certificate-authority-data` (nil).
        case kubeconfig(path: String?)
        /// No CA configured: the system trust store.
        case systemTrustStore

        /// `ca_file PATH`, `ca_data in the cluster file`, `the kubeconfig's CA (PATH)`, `the system trust store`.
        public var description: String {
            switch self {
            case .file(let path): "ca_file \(path)"
            case .clusterFileData: "ca_data in the cluster file"
            case .kubeconfig(let path?): "the kubeconfig's CA (\(path))"
            case .kubeconfig(nil): "the kubeconfig's CA"
            case .systemTrustStore: "the system trust store"
            }
        }
    }

    /// The server certificate's issuer is not among the trusted CAs (`caSubjects`; empty for the system trust
    /// store). `sameNameDifferentKey`: a trusted CA has the issuer's name but did not sign it (kubeadm names every
    /// cluster's CA `CN=kubernetes`, so this is usually another cluster's CA).
    case untrustedIssuer(issuer: String, caSubjects: [String], sameNameDifferentKey: Bool, source: CASource)
    /// The trusted CA that signed the chain has expired.
    case certificateAuthorityExpired(subject: String, notValidAfter: Date, source: CASource)
    /// The server's certificate has expired.
    case serverCertificateExpired(subject: String, notValidAfter: Date)
    /// The server's certificate is not valid yet (clock skew, or a certificate issued for the future).
    case serverCertificateNotYetValid(subject: String, notValidBefore: Date)
    /// The certificate is for `names`, not `host`.
    case hostnameMismatch(names: [String], host: String)
    /// An `https://` URL whose port answers in plain HTTP.
    case plainHTTPOnTLSURL(endpoint: String)
    /// An `http://` URL whose port answers with a TLS handshake.
    case tlsOnPlainHTTPURL(endpoint: String)

    /// The sentence, without the cluster: what is wrong and what to do.
    public var sentence: String {
        switch self {
        case .untrustedIssuer(let issuer, let subjects, let sameName, let source):
            if subjects.isEmpty {
                return "certificate verify failed: the server certificate is issued by \(issuer), which \(source) "
                    + "does not hold; set tls.ca_file to the cluster's CA"
            }
            if sameName {
                return "certificate verify failed: the server certificate is issued by \(issuer); \(source) holds a "
                    + "CA with that name but a different key (another cluster's CA?); use this cluster's CA"
            }
            return "certificate verify failed: the server certificate is issued by \(issuer), but \(source) holds "
                + "\(subjects.joined(separator: "; ")); use the CA that issued it"
        case .certificateAuthorityExpired(let subject, let date, let source):
            return "certificate verify failed: CA certificate expired on \(Self.day(date)) (\(subject), from "
                + "\(source)); get the cluster's current CA"
        case .serverCertificateExpired(let subject, let date):
            return "certificate verify failed: server certificate expired on \(Self.day(date)) (\(subject)); the "
                + "cluster must renew it (kubeadm: kubeadm certs renew apiserver)"
        case .serverCertificateNotYetValid(let subject, let date):
            return "certificate verify failed: server certificate is not valid before \(Self.day(date)) "
                + "(\(subject)); check this machine's clock"
        case .hostnameMismatch(let names, let host):
            let list = names.isEmpty ? "no name" : names.joined(separator: ", ")
            return "the certificate is for \(list), not \(host); use one of those names in api_server, or set "
                + "tls.server_name"
        case .plainHTTPOnTLSURL(let endpoint):
            return "the URL is https but the server speaks plain HTTP (\(endpoint)): use http:// or check the port"
        case .tlsOnPlainHTTPURL(let endpoint):
            return "the URL is http but the server speaks TLS (\(endpoint) answers with a TLS handshake): use https://"
        }
    }

    /// The chain's flaw, if the comparison finds one; `nil` when the chain looks valid for `host` under `caPEM`.
    ///
    /// Checks, in this order: the server certificate's validity period, that a trusted CA signed the chain (by
    /// name and by signature) and is itself valid, then the host name. Without `caPEM` (system trust store) the
    /// issuer cannot be checked here, so a chain with nothing else wrong is reported as not trusted by the store
    /// only when `verificationFailed`.
    /// - Parameters:
    ///   - chain: what the server presented, leaf first.
    ///   - caPEM: the trusted CA certificates (PEM), `nil` for the system trust store.
    ///   - source: where `caPEM` came from, for the sentence.
    ///   - host: the name the client checks the certificate against.
    ///   - checksHostname: false when the host name is not verified (`tls.server_name` set).
    ///   - verificationFailed: whether the handshake failed in chain verification (not a host-name mismatch).
    public static func diagnose(
        chain: [PresentedCertificate],
        caPEM: String?,
        source: CASource,
        host: String,
        checksHostname: Bool,
        verificationFailed: Bool = true,
        now: Date = Date()
    ) -> TLSDiagnosis? {
        let certificates = chain.compactMap(\.parsed)
        guard let leaf = certificates.first else { return nil }
        if leaf.notValidAfter < now {
            return .serverCertificateExpired(subject: leaf.subject.description, notValidAfter: leaf.notValidAfter)
        }
        if leaf.notValidBefore > now {
            return .serverCertificateNotYetValid(subject: leaf.subject.description, notValidBefore: leaf.notValidBefore)
        }
        if let caPEM {
            let anchors = Self.certificates(inPEM: caPEM)
            var current = leaf
            var signer: Certificate?
            var rest = Array(certificates.dropFirst())
            while signer == nil {
                if let anchor = anchors.first(where: { $0.subject == current.issuer && Self.signed($0, current) }) {
                    signer = anchor
                } else if let index = rest.firstIndex(where: {
                    $0.subject == current.issuer && Self.signed($0, current)
                }),
                    current.subject != current.issuer
                {
                    current = rest.remove(at: index)
                } else {
                    break
                }
            }
            guard let signer else {
                return .untrustedIssuer(
                    issuer: current.issuer.description,
                    caSubjects: anchors.map(\.subject.description),
                    sameNameDifferentKey: anchors.contains { $0.subject == current.issuer },
                    source: source
                )
            }
            if signer.notValidAfter < now {
                return .certificateAuthorityExpired(
                    subject: signer.subject.description,
                    notValidAfter: signer.notValidAfter,
                    source: source
                )
            }
        }
        if checksHostname, let presented = chain.first, !Self.matches(presented, host: host) {
            return .hostnameMismatch(names: Self.names(of: presented), host: host)
        }
        if caPEM == nil, verificationFailed {
            let top = certificates.last!
            return .untrustedIssuer(
                issuer: top.issuer.description,
                caSubjects: [],
                sameNameDifferentKey: false,
                source: source
            )
        }
        return nil
    }

    /// The certificates of a PEM bundle (blocks that do not parse are skipped).
    static func certificates(inPEM pem: String) -> [Certificate] {
        let begin = "-----BEGIN CERTIFICATE-----"
        let end = "-----END CERTIFICATE-----"
        var certificates: [Certificate] = []
        var rest = Substring(pem)
        while let start = rest.range(of: begin), let stop = rest[start.upperBound...].range(of: end) {
            if let certificate = PresentedCertificate.parse(pem: String(rest[start.lowerBound..<stop.upperBound])) {
                certificates.append(certificate)
            }
            rest = rest[stop.upperBound...]
        }
        return certificates
    }

    /// Whether `issuer`'s key verifies `certificate`'s signature.
    static func signed(_ issuer: Certificate, _ certificate: Certificate) -> Bool {
        issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// The names a certificate is for: its DNS and IP subject alternative names, or its subject when it has none.
    static func names(of certificate: PresentedCertificate) -> [String] {
        let names = certificate.subjectAlternativeNames.compactMap { name -> String? in
            if name.hasPrefix("DNS:") { return String(name.dropFirst(4)) }
            if name.hasPrefix("IP:") { return String(name.dropFirst(3)) }
            return nil
        }
        return names.isEmpty ? [certificate.subject] : names
    }

    /// Whether `certificate` is for `host` (an IP literal against IP names; a DNS name against DNS names, with a
    /// left-most `*` label matching one label), case-insensitively.
    static func matches(_ certificate: PresentedCertificate, host: String) -> Bool {
        let trimmed = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let bytes = IPAddressText.bytes(trimmed) {
            let text = PresentedCertificate.ipText(bytes)
            return certificate.subjectAlternativeNames.contains("IP:\(text)")
        }
        let wanted = trimmed.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        for name in certificate.subjectAlternativeNames where name.hasPrefix("DNS:") {
            let pattern = name.dropFirst(4).lowercased().split(separator: ".", omittingEmptySubsequences: false)
            guard pattern.count == wanted.count else { continue }
            if zip(pattern.indices, pattern).allSatisfy({ index, label in
                (index == 0 && label == "*") || label == wanted[index]
            }) {
                return true
            }
        }
        return false
    }

    /// `2026-12-06` (UTC): the day is what a user compares with.
    static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }
}
