import CrowsnestCore
import Testing

@Suite("Proxy path safety")
struct ProxyPathTests {
    @Test("safe paths are percent-encoded under the pod's proxy prefix")
    func safe() throws {
        #expect(
            try ProxyPath.build(namespace: "app", pod: "web-0", scheme: "http", port: "9102", path: "/metrics")
                == "/api/v1/namespaces/app/pods/http:web-0:9102/proxy/metrics"
        )
        #expect(
            try ProxyPath.build(namespace: "app", pod: "web-0", scheme: "https", port: "metrics", path: "/a b/ü")
                == "/api/v1/namespaces/app/pods/https:web-0:metrics/proxy/a%20b/%C3%BC"
        )
        #expect(
            try ProxyPath.build(namespace: "a", pod: "b", scheme: "http", port: "1", path: "/")
                == "/api/v1/namespaces/a/pods/http:b:1/proxy/"
        )
    }

    @Test(
        "hostile paths, names, ports and schemes are refused",
        arguments: [
            ("metrics", "app", "web-0", "http", "1"),
            ("/../../../api/v1/secrets", "app", "web-0", "http", "1"),
            ("/%2e%2e/%2e%2e/secrets", "app", "web-0", "http", "1"),
            ("/a/%2F..%2Fsecrets", "app", "web-0", "http", "1"),
            ("//evil.example/metrics", "app", "web-0", "http", "1"),
            ("/metrics?x=1", "app", "web-0", "http", "1"),
            ("/metrics#frag", "app", "web-0", "http", "1"),
            ("/metrics%3Fx", "app", "web-0", "http", "1"),
            ("/a\\..\\b", "app", "web-0", "http", "1"),
            ("/a/%25", "app", "web-0", "http", "1"),
            ("/a/%zz", "app", "web-0", "http", "1"),
            ("/a/./b", "app", "web-0", "http", "1"),
            ("/metrics", "../kube-system", "web-0", "http", "1"),
            ("/metrics", "app", "web-0/../x", "http", "1"),
            ("/metrics", "app", "web-0", "file", "1"),
            ("/metrics", "app", "web-0", "http", "1/../../x"),
            ("/metrics", "app", "web:0", "http", "1"),
            ("/a%00b", "app", "web-0", "http", "1"),
        ]
    )
    func refused(path: String, namespace: String, pod: String, scheme: String, port: String) {
        #expect(throws: ProxyPath.Refusal.self) {
            try ProxyPath.build(namespace: namespace, pod: pod, scheme: scheme, port: port, path: path)
        }
    }

    @Test("every accepted path stays under the proxy prefix after decoding")
    func property() throws {
        let pieces = ["a", ".", "..", "%2e", "%2F", "/", "%", "b", "?", "#", "\\", " ", "%41", "//"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let path =
                "/"
                + (0..<Int.random(in: 1...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
                .joined()
            guard let built = try? ProxyPath.build(namespace: "ns", pod: "p", scheme: "http", port: "1", path: path)
            else { continue }
            #expect(built.hasPrefix("/api/v1/namespaces/ns/pods/http:p:1/proxy/"))
            let rest = built.dropFirst("/api/v1/namespaces/ns/pods/http:p:1/proxy/".count)
            for segment in rest.split(separator: "/") {
                #expect(segment != "." && segment != ".." && !segment.contains("%2F") && !segment.contains("%2f"))
                let decoded = segment.removingPercentEncodingSimple()
                #expect(decoded != "." && decoded != "..", "\(built)")
            }
        }
    }

    @Test("shards partition targets by a stable hash")
    func shards() {
        let keys = (0..<300).map { TargetKey(cluster: "c\($0 % 3)", namespace: "n", pod: "p\($0)", port: "m") }
        var counts = [0, 0, 0]
        for key in keys {
            let owners = (0..<3).filter { key.belongs(toShard: $0, of: 3) }
            #expect(owners.count == 1)
            counts[owners[0]] += 1
        }
        #expect(counts.allSatisfy { $0 > 50 })
        // Stable across processes and releases: FNV-1a over the fields, each followed by 0xFF (computed independently).
        #expect(TargetKey(cluster: "a", namespace: "b", pod: "c", port: "d").stableHash == 0x5399_7eba_86e1_c7f5)
    }
}

extension Substring {
    func removingPercentEncodingSimple() -> String {
        var bytes: [UInt8] = []
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let end = utf8.index(index, offsetBy: 3, limitedBy: utf8.endIndex),
                let value = UInt8(String(decoding: utf8[utf8.index(after: index)..<end], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index = end
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
