import Foundation
import NIOSSL

/// Reads expiry times from credentials without ever exposing them.
enum CredentialExpiry {
    /// A JWT's `exp` claim (bound ServiceAccount tokens, OIDC tokens); nil for other tokens.
    static func jwtExpiry(_ token: String) -> Date? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: payload),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        if let exp = object["exp"] as? NSNumber { return Date(timeIntervalSince1970: exp.doubleValue) }
        return nil
    }

    /// The earliest NotAfter of the certificates in `pem`.
    static func earliestNotAfter(pem: String) -> Date? {
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)), !certificates.isEmpty else {
            return nil
        }
        return certificates.map { Date(timeIntervalSince1970: TimeInterval($0.notValidAfter)) }.min()
    }

    /// Parses RFC 3339 (with or without fractional seconds).
    static func parseRFC3339(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
