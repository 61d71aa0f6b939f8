import Foundation

/// The opaque `continue` token of a paged list, in the API server's own encoding: unpadded base64url of
/// `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}` (`storage.EncodeContinue`).
struct ContinueToken: Sendable, Equatable {
    /// The resourceVersion every page of the list is read at (-1: the latest, for the "inconsistent" token a
    /// 410 hands out).
    var resourceVersion: Int
    /// The key (`namespace/name`) of the last item already returned.
    var lastKey: String

    /// The encoded token.
    var encoded: String {
        let json = JSONValue.object([
            ("v", "meta.k8s.io/v1"), ("rv", .int(resourceVersion)), ("start", .string(lastKey + "\u{0}")),
        ]).encoded()
        return Base64URL.encode(json)
    }

    /// Decodes `text`; the error text is what the API server reports after `invalid continue token: `.
    static func decode(_ text: String) -> Result<ContinueToken, SelectorError> {
        guard let data = Base64URL.decode(text) else {
            return .failure(SelectorError("continue key is not valid: illegal base64 data"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
            let version = object["v"] as? String
        else {
            return .failure(SelectorError("continue key is not valid: invalid character in continue token"))
        }
        guard version == "meta.k8s.io/v1" else {
            return .failure(
                SelectorError("continue key is not valid: server does not recognize this encoded key version")
            )
        }
        guard let resourceVersion = (object["rv"] as? NSNumber)?.intValue, resourceVersion > 0 || resourceVersion == -1
        else {
            return .failure(
                SelectorError(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
                )
            )
        }
        guard let start = object["start"] as? String, start.hasSuffix("\u{0}"), !start.hasPrefix("/"),
            !start.contains("..")
        else {
            return .failure(SelectorError("continue key is not valid: encoded start key is not valid"))
        }
        return .success(ContinueToken(resourceVersion: resourceVersion, lastKey: String(start.dropLast())))
    }
}

/// Unpadded base64url (`base64.RawURLEncoding`), tolerant of padding and the standard alphabet on input.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard standard.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") })
        else { return nil }
        while standard.count % 4 != 0 { standard.append("=") }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
