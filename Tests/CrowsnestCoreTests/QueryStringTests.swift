import CrowsnestCore
import Testing

/// Query strings decoded as Prometheus (Go's `url.Values.Encode`) and browsers write them.
@Suite("Query strings")
struct QueryStringTests {
    @Test(
        "names and values are percent-decoded, + is a space, names repeat",
        arguments: [
            ("match%5B%5D=up&match%5B%5D=%7Bjob%3D%22a+b%22%7D", "match[]", ["up", "{job=\"a b\"}"]),
            ("match[]=up&match[]={job=\"a b\"}", "match[]", ["up", "{job=\"a b\"}"]),
            ("cluster=eu&cluster=us%2Deast", "cluster", ["eu", "us-east"]),
            ("cluster", "cluster", [""]),
            ("a=1&&cluster=%E2%9C%93", "cluster", ["✓"]),
            ("cluster=50%25", "cluster", ["50%"]),
            ("cluster=50%", "cluster", ["50%"]),
            ("cluster=%zz", "cluster", ["%zz"]),
            ("x=1", "cluster", []),
        ] as [(String, String, [String])]
    )
    func decoding(query: String, name: String, values: [String]) {
        #expect(QueryString(query).all(name) == values)
    }

    @Test("an empty or missing query has no parameters; first() takes the first value")
    func emptyAndFirst() {
        #expect(QueryString(nil).all("a").isEmpty)
        #expect(QueryString("").distinctNames.isEmpty)
        #expect(QueryString("refresh=5&refresh=9").first("refresh") == "5")
        #expect(QueryString("b=1&a=2&b=3").distinctNames == ["b", "a"])
    }
}
