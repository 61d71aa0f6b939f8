import CrowsnestCore
import Foundation

/// The few elements Crowsnest reads from STS's XML answers (`AssumeRole`, `AssumeRoleWithWebIdentity`, and the
/// `ErrorResponse` of a failure), found by element name without a general XML parser (FoundationXML is not in
/// static builds). Each element STS uses here occurs once per answer and holds only text.
enum STSResponse {
    /// The text of the first `<name>…</name>` (attributes allowed on the start tag), entities decoded; nil when
    /// absent.
    static func element(_ name: String, in xml: String) -> String? {
        var searchStart = xml.startIndex
        while let open = xml.range(of: "<" + name, range: searchStart..<xml.endIndex) {
            guard open.upperBound < xml.endIndex else { return nil }
            let next = xml[open.upperBound]
            guard next == ">" || next == " " || next == "\t" || next == "\n" || next == "\r" || next == "/" else {
                searchStart = open.upperBound  // a longer name with this prefix (<Arn> vs <ArnSuffix>)
                continue
            }
            guard let tagEnd = xml.range(of: ">", range: open.upperBound..<xml.endIndex) else { return nil }
            if xml[xml.index(before: tagEnd.lowerBound)] == "/" { return "" }  // <name/>
            guard let close = xml.range(of: "</" + name + ">", range: tagEnd.upperBound..<xml.endIndex) else {
                return nil
            }
            return decodeEntities(String(xml[tagEnd.upperBound..<close.lowerBound]))
        }
        return nil
    }

    /// Temporary credentials from an `AssumeRole*` answer's `Credentials` element, with the assumed role's ARN.
    static func credentials(in xml: String, source: String) -> AWSCredentials? {
        guard let credentials = element("Credentials", in: xml),
            let accessKeyID = element("AccessKeyId", in: credentials), !accessKeyID.isEmpty,
            let secret = element("SecretAccessKey", in: credentials), !secret.isEmpty,
            let session = element("SessionToken", in: credentials), !session.isEmpty
        else { return nil }
        let expiration = element("Expiration", in: credentials).flatMap(CredentialExpiry.parseRFC3339)
        let identity = element("AssumedRoleUser", in: xml).flatMap { element("Arn", in: $0) }
        return AWSCredentials(
            accessKeyID: accessKeyID,
            secretAccessKey: Secret(secret),
            sessionToken: Secret(session),
            expiration: expiration,
            source: source,
            identity: identity
        )
    }

    /// The error code and message of an `ErrorResponse` (or a bare `Error`), when the body is one.
    static func error(in xml: String) -> (code: String, message: String?)? {
        guard let error = element("Error", in: xml), let code = element("Code", in: error) else { return nil }
        return (code, element("Message", in: error))
    }

    /// Decodes the five predefined XML entities and numeric character references.
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "&", let semicolon = text[index...].firstIndex(of: ";"),
                text.distance(from: index, to: semicolon) <= 10
            else {
                result.append(character)
                index = text.index(after: index)
                continue
            }
            let entity = text[text.index(after: index)..<semicolon]
            var decoded: String?
            switch entity {
            case "amp": decoded = "&"
            case "lt": decoded = "<"
            case "gt": decoded = ">"
            case "quot": decoded = "\""
            case "apos": decoded = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    decoded = UInt32(entity.dropFirst(2), radix: 16).flatMap { Unicode.Scalar($0) }.map { String($0) }
                } else if entity.hasPrefix("#") {
                    decoded = UInt32(entity.dropFirst()).flatMap { Unicode.Scalar($0) }.map { String($0) }
                }
            }
            if let decoded {
                result += decoded
                index = text.index(after: semicolon)
            } else {
                result.append(character)
                index = text.index(after: index)
            }
        }
        return result
    }
}
