import CrowsnestCore
import Testing

/// The URL the image's health check asks: wildcard addresses become loopback, IPv6 is bracketed, TLS is https.
@Suite("ListenAddress.localURL")
struct ListenAddressLocalURLTests {
    @Test(
        "local URLs of listen addresses",
        arguments: [
            ("0.0.0.0", false, "http://127.0.0.1:9464/-/healthy"),
            ("", false, "http://127.0.0.1:9464/-/healthy"),
            ("::", true, "https://[::1]:9464/-/healthy"),
            ("127.0.0.1", true, "https://127.0.0.1:9464/-/healthy"),
            ("::1", false, "http://[::1]:9464/-/healthy"),
            ("gateway.internal", false, "http://gateway.internal:9464/-/healthy"),
        ] as [(String, Bool, String)]
    )
    func localURL(host: String, tls: Bool, url: String) {
        #expect(ListenAddress(host: host, port: 0).localURL(port: 9464, tls: tls, path: "/-/healthy") == url)
    }
}
