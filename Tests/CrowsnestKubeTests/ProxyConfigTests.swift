import Foundation
import PeerSupport
import Testing

@testable import CrowsnestCore
@testable import CrowsnestKube

/// Which proxy a cluster's API traffic takes: `proxy_url`, the kubeconfig's `proxy-url`, or `HTTPS_PROXY` /
/// `HTTP_PROXY` minus `NO_PROXY` and loopback, read as Go's `net/http` (and so kubectl) reads them.
@Suite("Proxy configuration")
struct ProxyConfigTests {
    @Test(
        "proxy URLs parse as client-go takes them; an https:// proxy, a path or a bad port is refused",
        arguments: [
            ("http://proxy.corp:3128", "http://proxy.corp:3128" as String?, nil as String?),
            ("proxy.corp:3128", "http://proxy.corp:3128", nil),
            ("http://proxy.corp", "http://proxy.corp:80", nil),
            ("socks5://127.0.0.1", "socks5://127.0.0.1:1080", nil),
            ("http://[fd00::1]:3128/", "http://[fd00::1]:3128", nil),
            ("https://proxy.corp:3128", nil, "https:// proxy"),
            ("http://proxy.corp:3128/path", nil, "must not have a path"),
            ("http://proxy.corp:99999", nil, "invalid port"),
            ("ftp://proxy.corp", nil, "scheme must be http or socks5"),
            ("socks5://u:p@proxy.corp", nil, "socks5 proxy authentication"),
        ]
    )
    func parsing(_ written: String, _ expected: String?, _ problem: String?) {
        do {
            let proxy = try ProxyURL(parsing: written)
            #expect(proxy.description == expected)
            #expect(problem == nil)
        } catch {
            #expect(expected == nil, "\(written): \(error)")
            #expect(error.reason.contains(problem ?? "-"), "\(error.reason)")
        }
    }

    @Test("user info becomes proxy credentials, %-escapes decoded, and is never shown")
    func credentials() throws {
        let proxy = try ProxyURL(parsing: "http://ops%40corp:p%3Ass@proxy.corp:3128")
        #expect(proxy.username == "ops@corp")
        #expect(proxy.password?.revealed == "p:ss")
        #expect(proxy.description == "http://proxy.corp:3128")
        #expect(!"\(proxy)".contains("p:ss") && !String(reflecting: proxy).contains("p:ss"))
        #expect(throws: ProxyURL.ParseError.self) { try ProxyURL(parsing: "http://:secret@proxy.corp") }
    }

    static let server = try! APIServerURL(parsing: "https://api.prod.example.com:6443")

    @Test(
        "HTTPS_PROXY applies to https servers unless NO_PROXY names them, as Go's net/http decides",
        arguments: [
            ([:], nil as String?),
            (["HTTPS_PROXY": "http://p:3128"], "http://p:3128"),
            (["https_proxy": "p:3128"], "http://p:3128"),
            (["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1"], "http://upper:1"),
            (["HTTP_PROXY": "http://p:3128"], nil),  // for http:// servers only
            (["HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"], nil),
            (["HTTPS_PROXY": "http://p:3128", "NO_PROXY": "example.com"], nil),  // the domain and its subdomains
            (["HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".prod.example.com"], nil),
            (["HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*.example.com"], nil),
            (["HTTPS_PROXY": "http://p:3128", "no_proxy": "other.com, api.prod.example.com:6443"], nil),
            (["HTTPS_PROXY": "http://p:3128", "NO_PROXY": "api.prod.example.com:443"], "http://p:3128"),
            (["HTTPS_PROXY": "http://p:3128", "NO_PROXY": "ample.com,other.example.com"], "http://p:3128"),
        ]
    )
    func environment(_ variables: [String: String], _ expected: String?) throws {
        let proxy = try ProxyEnvironment(environment: variables).proxy(for: Self.server)
        #expect(proxy?.description == expected)
    }

    @Test("loopback servers are never proxied; NO_PROXY addresses and CIDR ranges, IPv4 and IPv6")
    func addresses() throws {
        let environment = ProxyEnvironment(
            environment: ["HTTPS_PROXY": "http://p:3128", "NO_PROXY": "10.0.0.0/8,192.168.1.7,fd00::/8"]
        )
        func proxied(_ url: String) throws -> Bool {
            try environment.proxy(for: APIServerURL(parsing: url)) != nil
        }
        #expect(try !proxied("https://127.0.0.1:6443"))
        #expect(try !proxied("https://localhost:6443"))
        #expect(try !proxied("https://[::1]:6443"))
        #expect(try !proxied("https://10.200.3.4:6443"))
        #expect(try proxied("https://11.0.0.1:6443"))
        #expect(try !proxied("https://192.168.1.7"))
        #expect(try proxied("https://192.168.1.8"))
        #expect(try !proxied("https://[fd12:3456::1]:6443"))
        #expect(try proxied("https://[fe80::1]:6443"))
        #expect(IPAddress("::ffff:10.1.2.3")?.bytes.suffix(4) == [10, 1, 2, 3])
        #expect(IPAddress("1.2.3") == nil && IPAddress("1:2:3") == nil && IPAddress("example.com") == nil)
    }

    @Test("a malformed HTTPS_PROXY is a configuration error naming the variable, never its value")
    func malformedEnvironment() {
        #expect {
            try ProxyEnvironment(environment: ["HTTPS_PROXY": "https://user:pw-123@p:3128"]).proxy(for: Self.server)
        } throws: { error in
            let reason = (error as? ProxyURL.ParseError)?.reason ?? ""
            return reason.hasPrefix("HTTPS_PROXY:") && !reason.contains("pw-123")
        }
    }

    @Test("cluster file proxy_url: decoded, a password makes it a file holding a secret, errors at the field")
    func clusterFile() throws {
        let report = ConfigTestSupport.parse(ConfigTestSupport.minimal + "\nproxy_url: http://ops:pw@proxy.corp:3128\n")
        let config = try #require(report.config, "\(report.problems)")
        #expect(
            config.proxy
                == ProxyURL(kind: .http, host: "proxy.corp", port: 3128, username: "ops", password: Secret("pw"))
        )
        #expect(report.containsInlineSecrets)
        let bad = ConfigTestSupport.parse(ConfigTestSupport.minimal + "\nproxy_url: https://ops:pw-456@proxy.corp\n")
        #expect(bad.config == nil)
        let problem = try #require(bad.problems.first { $0.field == "proxy_url" })
        #expect(problem.reason.contains("https:// proxy") && !problem.reason.contains("pw-456"))
    }

    @Test("precedence: proxy_url, then the kubeconfig's proxy-url, then the environment (except loopback)")
    func precedence() throws {
        let directory = try TemporaryDirectory("proxy-precedence")
        defer { directory.remove() }
        let kubeconfig = directory.path + "/kubeconfig"
        try """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "https://api.prod.example.com:6443", proxy-url: "http://from-kubeconfig:3128"}
        users:
        - name: u
          user: {token: abc}
        contexts:
        - name: x
          context: {cluster: c, user: u}
        current-context: x
        """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let environment = ["HTTPS_PROXY": "http://from-environment:3128"]
        var config = ClusterConfig(name: "x", apiServer: nil, auth: .kubeconfig(path: kubeconfig, context: nil))
        #expect(try ClusterSetup.resolve(config, environment: environment).proxy?.host == "from-kubeconfig")
        config.proxy = try ProxyURL(parsing: "http://from-file:3128")
        #expect(try ClusterSetup.resolve(config, environment: environment).proxy?.host == "from-file")
        let direct = ClusterConfig(name: "y", apiServer: Self.server, auth: .anonymous)
        #expect(try ClusterSetup.resolve(direct, environment: environment).proxy?.host == "from-environment")
        #expect(try ClusterSetup.resolve(direct, environment: [:]).proxy == nil)
        let loopback = ClusterConfig(name: "z", apiServer: try APIServerURL(parsing: "https://127.0.0.1:6443"))
        #expect(try ClusterSetup.resolve(loopback, environment: environment).proxy == nil, "kubectl skips loopback")
    }
}
