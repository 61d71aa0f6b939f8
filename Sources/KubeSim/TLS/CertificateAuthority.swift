import Crypto
public import Foundation
import X509

/// A certificate and its private key, both PEM.
public struct IssuedCertificate: Sendable {
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    public var certificatePEM: String
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public var privateKeyPEM: String
}

/// A self-signed certificate authority made in process (ECDSA P-256), the per-cluster CA that signs the API
/// server's serving certificate and client certificates.
public struct CertificateAuthority: Sendable {
    /// The CA certificate, PEM: what clients put in `certificate-authority` / `tls.ca_file`.
    public let certificatePEM: String
    let certificate: Certificate
    let privateKey: P256.Signing.PrivateKey

    /// Creates a CA named `commonName`, valid from an hour ago for ten years, or until `notValidAfter` (a date in
    /// the past makes an expired CA, for TLS-failure tests; it is then valid from 30 days before that date).
    public init(commonName: String, now: Date = Date(), notValidAfter: Date? = nil) throws(KubeSimError) {
        do {
            let key = P256.Signing.PrivateKey()
            let name = try DistinguishedName {
                OrganizationName("KubeSim")
                CommonName(commonName)
            }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: min(
                    now.addingTimeInterval(-3600),
                    (notValidAfter ?? now).addingTimeInterval(-30 * 86_400)
                ),
                notValidAfter: notValidAfter ?? now.addingTimeInterval(10 * 365 * 86_400),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            self.certificate = certificate
            self.privateKey = key
            self.certificatePEM = try DER.certificatePEM(tbs: certificate.tbsCertificateBytes, signedBy: key)
        } catch {
            throw KubeSimError(.tls, "cannot create CA \(commonName): \(error)")
        }
    }

    /// Issues a serving certificate for `dnsNames` and `ipAddresses` (dotted IPv4 or IPv6 text).
    public func issueServerCertificate(
        commonName: String,
        dnsNames: [String],
        ipAddresses: [String],
        notValidBefore: Date,
        notValidAfter: Date
    ) throws(KubeSimError) -> IssuedCertificate {
        var ipBytes: [[UInt8]] = []
        for address in ipAddresses {
            guard let bytes = CertificateAuthority.ipBytes(address) else {
                throw KubeSimError(.invalid, "not an IP address: \(address)")
            }
            ipBytes.append(bytes)
        }
        let sanExtension = Certificate.Extension(
            oid: .X509ExtensionID.subjectAlternativeName,
            critical: false,
            value: DER.subjectAlternativeNames(dnsNames: dnsNames, ipAddresses: ipBytes)[...]
        )
        return try issue(
            subject: { try DistinguishedName { CommonName(commonName) } },
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            extensions: {
                try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.serverAuth])
                    AuthorityKeyIdentifier(
                        keyIdentifier: try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier
                    )
                    sanExtension
                }
            }
        )
    }

    /// Issues a client certificate: `CN` = user, one `O` per group (how Kubernetes reads them).
    public func issueClientCertificate(
        for identity: Identity,
        notValidBefore: Date = Date().addingTimeInterval(-3600),
        notValidAfter: Date = Date().addingTimeInterval(365 * 86_400)
    ) throws(KubeSimError) -> IssuedCertificate {
        try issue(
            subject: {
                try DistinguishedName {
                    for group in identity.groups { OrganizationName(group) }
                    CommonName(identity.user)
                }
            },
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            extensions: {
                try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.clientAuth])
                    AuthorityKeyIdentifier(
                        keyIdentifier: try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier
                    )
                }
            }
        )
    }

    private func issue(
        subject: () throws -> DistinguishedName,
        notValidBefore: Date,
        notValidAfter: Date,
        extensions: () throws -> Certificate.Extensions
    ) throws(KubeSimError) -> IssuedCertificate {
        do {
            let key = P256.Signing.PrivateKey()
            let leaf = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(key.publicKey),
                notValidBefore: notValidBefore,
                notValidAfter: notValidAfter,
                issuer: certificate.subject,
                subject: try subject(),
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try extensions(),
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
            return IssuedCertificate(
                certificatePEM: try DER.certificatePEM(tbs: leaf.tbsCertificateBytes, signedBy: privateKey),
                privateKeyPEM: key.pemRepresentation
            )
        } catch let error as KubeSimError {
            throw error
        } catch {
            throw KubeSimError(.tls, "cannot issue certificate: \(error)")
        }
    }

    /// The network-order bytes of an IPv4 or IPv6 literal.
    static func ipBytes(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}

/// The user name and groups of a client certificate's subject (CN and O attributes).
enum ClientCertificateIdentity {
    static let commonNameOID: [UInt8] = [0x55, 0x04, 0x03]
    static let organizationOID: [UInt8] = [0x55, 0x04, 0x0A]

    static func identity(fromDER der: [UInt8]) -> Identity? {
        guard let attributes = DER.subjectAttributes(ofCertificate: der) else { return nil }
        var user: String?
        var groups: [String] = []
        for (oid, value) in attributes {
            if oid == commonNameOID { user = value } else if oid == organizationOID { groups.append(value) }
        }
        return user.map { Identity(user: $0, groups: groups) }
    }
}

/// The little DER the simulator writes by hand (so it needs no ASN.1 library of its own).
enum DER {
    /// A definite length.
    static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var value = count
        while value > 0 {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// `SubjectAltName ::= SEQUENCE OF GeneralName` with `dNSName [2]` and `iPAddress [7]` entries.
    static func subjectAlternativeNames(dnsNames: [String], ipAddresses: [[UInt8]]) -> [UInt8] {
        var content: [UInt8] = []
        for name in dnsNames {
            let bytes = Array(name.utf8)
            content += [0x82] + length(bytes.count) + bytes
        }
        for address in ipAddresses {
            content += [0x87] + length(address.count) + address
        }
        return [0x30] + length(content.count) + content
    }

    /// A whole certificate: `SEQUENCE { tbsCertificate, ecdsa-with-SHA256, BIT STRING signature }`, as PEM.
    static func certificatePEM(tbs: ArraySlice<UInt8>, signedBy key: P256.Signing.PrivateKey) throws -> String {
        let signature = try key.signature(for: Array(tbs)).derRepresentation
        let algorithm: [UInt8] = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]
        let bitString: [UInt8] = [0x03] + length(signature.count + 1) + [0x00] + Array(signature)
        let content = Array(tbs) + algorithm + bitString
        let der = [0x30] + length(content.count) + content
        return pem(der, label: "CERTIFICATE")
    }

    /// PEM armour with 64-column base64 lines.
    static func pem(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines: [String] = []
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }

    /// Reads one TLV at `offset`: (tag, content range, end offset).
    static func element(_ bytes: [UInt8], at offset: Int) -> (tag: UInt8, content: Range<Int>, end: Int)? {
        guard offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        var cursor = offset + 1
        var length = Int(bytes[cursor])
        cursor += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count > 0, count <= 4, cursor + count <= bytes.count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[cursor])
                cursor += 1
            }
        }
        guard cursor + length <= bytes.count else { return nil }
        return (tag, cursor..<cursor + length, cursor + length)
    }

    /// The (OID bytes, string value) pairs of a certificate's subject.
    static func subjectAttributes(ofCertificate der: [UInt8]) -> [([UInt8], String)]? {
        guard let certificate = element(der, at: 0), certificate.tag == 0x30,
            let tbs = element(der, at: certificate.content.lowerBound), tbs.tag == 0x30
        else { return nil }
        var cursor = tbs.content.lowerBound
        // [0] version (optional), serial, signature, issuer, validity, then subject.
        if let first = element(der, at: cursor), first.tag == 0xA0 { cursor = first.end }
        for _ in 0..<4 {
            guard let skipped = element(der, at: cursor) else { return nil }
            cursor = skipped.end
        }
        guard let subject = element(der, at: cursor), subject.tag == 0x30 else { return nil }
        var attributes: [([UInt8], String)] = []
        var setCursor = subject.content.lowerBound
        while setCursor < subject.content.upperBound {
            guard let set = element(der, at: setCursor), set.tag == 0x31 else { return nil }
            var pairCursor = set.content.lowerBound
            while pairCursor < set.content.upperBound {
                guard let pair = element(der, at: pairCursor), pair.tag == 0x30,
                    let oid = element(der, at: pair.content.lowerBound), oid.tag == 0x06,
                    let value = element(der, at: oid.end)
                else { return nil }
                attributes.append((Array(der[oid.content]), String(decoding: der[value.content], as: UTF8.self)))
                pairCursor = pair.end
            }
            setCursor = set.end
        }
        return attributes
    }
}
