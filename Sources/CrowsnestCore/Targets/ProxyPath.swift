/// Builds the API server's pod-proxy URL path for a target, refusing anything that could reach outside the pod's
/// proxy prefix.
///
/// The result is always `/api/v1/namespaces/{namespace}/pods/{scheme}:{pod}:{port}/proxy{path}` with every segment
/// percent-encoded. The pod path is checked after percent-decoding: it must be absolute and may not contain `.`
/// or `..` segments, an encoded `/`, `\` or `%`, `?` or `#`, control characters, or start with `//` (a host).
/// An annotation must never make the gateway fetch anything else from the API server with its credentials.
public enum ProxyPath {
    /// Why a path was refused.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// Plain-words reason (the path itself is shown only as a short, escaped excerpt).
        public var reason: String
        /// The text shown in messages and logs.
        public var description: String { reason }
    }

    /// The proxy path for a target (without query).
    public static func build(namespace: String, pod: String, scheme: String, port: String, path: String) throws(Refusal)
        -> String
    {
        guard scheme == "http" || scheme == "https" else { throw Refusal(reason: "scheme must be http or https") }
        for (what, value) in [("namespace", namespace), ("pod name", pod), ("port", port)] {
            guard !value.isEmpty, value.utf8.count <= 253 else { throw Refusal(reason: "\(what) is empty or too long") }
            guard value.utf8.allSatisfy(isDNSLabelByte) else {
                throw Refusal(reason: "\(what) has characters a Kubernetes name cannot have")
            }
            guard value != "." && value != ".." else { throw Refusal(reason: "\(what) must not be . or ..") }
        }
        let segments = try checkedSegments(path)
        var result =
            "/api/v1/namespaces/\(encode(namespace))/pods/\(encode(scheme)):\(encode(pod)):\(encode(port))/proxy"
        for segment in segments { result += "/" + encode(segment) }
        if path.hasSuffix("/") && !segments.isEmpty { result += "/" }
        if segments.isEmpty { result += "/" }
        return result
    }

    /// The node proxy path of a kubelet endpoint: `/api/v1/nodes/{node}/proxy{path}`, with the same checks as a pod's
    /// (the node name must be a Kubernetes name; the path absolute, without `.`/`..` or encoded separators).
    public static func node(_ node: String, path: String) throws(Refusal) -> String {
        guard !node.isEmpty, node.utf8.count <= 253 else { throw Refusal(reason: "node name is empty or too long") }
        guard node.utf8.allSatisfy(isDNSLabelByte) else {
            throw Refusal(reason: "node name has characters a Kubernetes name cannot have")
        }
        guard node != "." && node != ".." else { throw Refusal(reason: "node name must not be . or ..") }
        let segments = try checkedSegments(path)
        var result = "/api/v1/nodes/\(encode(node))/proxy"
        for segment in segments { result += "/" + encode(segment) }
        if segments.isEmpty || path.hasSuffix("/") { result += "/" }
        return result
    }

    /// Bytes allowed in namespaces, pod names and ports (DNS-1123 plus upper case for safety of port names).
    private static func isDNSLabelByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// Splits a pod path into decoded segments, refusing unsafe ones.
    static func checkedSegments(_ path: String) throws(Refusal) -> [String] {
        guard path.hasPrefix("/") else { throw Refusal(reason: "metrics path must be absolute (start with /)") }
        guard !path.hasPrefix("//") else { throw Refusal(reason: "metrics path must not name a host (//host/…)") }
        guard path.utf8.count <= 1024 else { throw Refusal(reason: "metrics path is longer than 1024 bytes") }
        var segments: [String] = []
        for raw in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            let decoded = try percentDecode(Array(raw))
            for byte in decoded {
                switch byte {
                case UInt8(ascii: "/"): throw Refusal(reason: "metrics path contains an encoded /")
                case UInt8(ascii: "\\"): throw Refusal(reason: "metrics path contains a backslash")
                case UInt8(ascii: "%"): throw Refusal(reason: "metrics path contains an encoded %")
                case UInt8(ascii: "?"), UInt8(ascii: "#"): throw Refusal(reason: "metrics path contains ? or #")
                case 0..<0x20, 0x7F: throw Refusal(reason: "metrics path contains control characters")
                default: break
                }
            }
            guard let text = String(validating: decoded, as: UTF8.self) else {
                throw Refusal(reason: "metrics path is not valid UTF-8")
            }
            if text == "." || text == ".." { throw Refusal(reason: "metrics path contains . or .. segments") }
            if text.isEmpty { continue }
            segments.append(text)
        }
        return segments
    }

    private static func percentDecode(_ bytes: [UInt8]) throws(Refusal) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard let high = hexValue(bytes[safe: index + 1]), let low = hexValue(bytes[safe: index + 2])
                else { throw Refusal(reason: "metrics path has an invalid percent-encoding") }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8?) -> UInt8? {
        guard let byte else { return nil }
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters and a few safe sub-delimiters.
    public static func encode(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }

    /// Percent-encodes a query string from parameters (`application/x-www-form-urlencoded` style).
    public static func query(_ parameters: [Label]) -> String {
        parameters.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
