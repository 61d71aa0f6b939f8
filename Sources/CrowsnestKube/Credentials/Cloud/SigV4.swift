import CrowsnestCore
import Crypto
import Foundation

/// AWS Signature Version 4: the presigned `GetCallerIdentity` URL inside an EKS token, and the `Authorization`
/// header of a signed STS call (`AssumeRole`).
///
/// Follows the SigV4 specification as botocore implements it: the canonical query is sorted by encoded name and
/// value, names and values are percent-encoded except the RFC 3986 unreserved characters, and the payload hash of a
/// presigned GET is the SHA-256 of the empty body (`SigV4QueryAuth`, not S3's `UNSIGNED-PAYLOAD`).
enum SigV4 {
    /// The query of an EKS token's presigned URL, signature last; `date` fixes `X-Amz-Date`.
    static func presignedEKSQuery(
        clusterName: String,
        credentials: AWSCredentials,
        region: String,
        host: String,
        date: Date,
        expires: Int = 60
    ) -> [(String, String)] {
        let amzDate = amzDate(date)
        let day = String(amzDate.prefix(8))
        var query: [(String, String)] = [
            ("Action", "GetCallerIdentity"), ("Version", "2011-06-15"), ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(day)/\(region)/sts/aws4_request"),
            ("X-Amz-Date", amzDate), ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", "host;x-k8s-aws-id"),
        ]
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token.revealed)) }
        let canonical = canonicalRequest(
            method: "GET",
            path: "/",
            query: query,
            headers: [("host", host), ("x-k8s-aws-id", clusterName)],
            payloadHash: hex(SHA256.hash(data: [UInt8]()))
        )
        let signature = sign(
            canonicalRequest: canonical,
            amzDate: amzDate,
            region: region,
            service: "sts",
            secretAccessKey: credentials.secretAccessKey.revealed
        )
        query.append(("X-Amz-Signature", signature))
        return query
    }

    /// The headers that sign a POST of `body` (form-encoded) to `host`: `Content-Type`, `X-Amz-Date`,
    /// `X-Amz-Security-Token` (with session credentials) and `Authorization`.
    static func signedPOSTHeaders(
        host: String,
        path: String,
        body: String,
        credentials: AWSCredentials,
        region: String,
        service: String,
        date: Date
    ) -> [(String, String)] {
        let amzDate = amzDate(date)
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        var headers: [(String, String)] = [("content-type", contentType), ("host", host), ("x-amz-date", amzDate)]
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token.revealed)) }
        let canonical = canonicalRequest(
            method: "POST",
            path: path.isEmpty ? "/" : path,
            query: [],
            headers: headers,
            payloadHash: hex(SHA256.hash(data: Array(body.utf8)))
        )
        let signature = sign(
            canonicalRequest: canonical,
            amzDate: amzDate,
            region: region,
            service: service,
            secretAccessKey: credentials.secretAccessKey.revealed
        )
        let signedHeaders = headers.map(\.0).joined(separator: ";")
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        var result = headers.filter { $0.0 != "host" }
        result.append(
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), "
                    + "Signature=\(signature)"
            )
        )
        return result
    }

    /// `METHOD\nPATH\nQUERY\nHEADERS\n\nSIGNED\nPAYLOAD`; `headers` are lowercase names, already in sorted order.
    static func canonicalRequest(
        method: String,
        path: String,
        query: [(String, String)],
        headers: [(String, String)],
        payloadHash: String
    ) -> String {
        let encoded: [(String, String)] = query.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { lhs, rhs in lhs.0 == rhs.0 ? lhs.1 < rhs.1 : lhs.0 < rhs.0 }
        let canonicalQuery = sorted.map { pair in pair.0 + "=" + pair.1 }.joined(separator: "&")
        let canonicalHeaders = headers.map { $0.0 + ":" + trimmed($0.1) + "\n" }.joined()
        let signedHeaders = headers.map(\.0).joined(separator: ";")
        return [method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
    }

    /// The hex HMAC-SHA256 signature of `canonicalRequest` with the key derived for the day, region and service.
    static func sign(
        canonicalRequest: String,
        amzDate: String,
        region: String,
        service: String,
        secretAccessKey: String
    ) -> String {
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Array(("AWS4" + secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// Percent-encodes everything but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ . ~`).
    static func encode(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                result += "%"
                result.unicodeScalars.append(digits[Int(byte >> 4)])
                result.unicodeScalars.append(digits[Int(byte & 0x0F)])
            }
        }
        return result
    }

    /// A form body (`application/x-www-form-urlencoded`) from pairs, encoded as SigV4 encodes query values.
    static func formBody(_ pairs: [(String, String)]) -> String {
        pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String {
            let v = value ?? 0
            return v < 10 ? "0\(v)" : "\(v)"
        }
        return "\(c.year ?? 1970)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".unicodeScalars)
        var result = ""
        for byte in bytes {
            result.unicodeScalars.append(digits[Int(byte >> 4)])
            result.unicodeScalars.append(digits[Int(byte & 0x0F)])
        }
        return result
    }

    /// Trims and collapses runs of spaces, as SigV4 canonical header values require.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
