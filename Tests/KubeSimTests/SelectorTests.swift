import NIOCore
import NIOHTTP1
import Testing

@testable import KubeSim

@Suite("Label and field selectors")
struct SelectorTests {
    @Test(arguments: [
        ("app=web", ["app": "web"], true),
        ("app==web", ["app": "web"], true),
        ("app!=web", ["app": "db"], true),
        ("app!=web", [:], true),
        ("app in (web, db)", ["app": "db"], true),
        ("app notin (web,db)", ["app": "db"], false),
        ("app notin (web,db)", [:], true),
        ("app", ["app": ""], true),
        ("!app", ["app": "x"], false),
        ("!app", ["tier": "x"], true),
        ("app=web,tier=frontend", ["app": "web", "tier": "backend"], false),
        ("app=web, tier in (frontend)", ["app": "web", "tier": "frontend"], true),
        ("replicas>2", ["replicas": "3"], true),
        ("replicas<2", ["replicas": "3"], false),
        ("example.com/team=infra", ["example.com/team": "infra"], true),
        ("app=", ["app": ""], true),
        ("", ["anything": "x"], true),
    ])
    func labelSelectorMatches(selector: String, labels: [String: String], expected: Bool) throws {
        let parsed = try LabelSelector(parsing: selector)
        #expect(parsed.matches(labels) == expected)
    }

    @Test(
        arguments: [
            ("app=web=x", "found '=', expected: ',' or 'end of string'"),
            ("app in web", "unable to parse requirement: found 'web' expected: '('"),
            ("app in (a", "unable to parse requirement: found ''"),
            (",app", "found ',', expected: !, identifier, or 'end of string'"),
            ("app,", "found '', expected: identifier after ','"),
            (
                "-bad=x",
                "unable to parse requirement: key: Invalid value: \"-bad\": name part must consist of alphanumeric characters"
            ),
            (
                "app=-x",
                "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be an empty string"
            ),
            ("app in ()", nil as String?),
            (
                "n>x",
                "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"
            ),
        ] as [(String, String?)]
    )
    func labelSelectorErrors(selector: String, messagePrefix: String?) {
        do {
            _ = try LabelSelector(parsing: selector)
            #expect(messagePrefix == nil, "\(selector) parsed")
        } catch {
            if let messagePrefix {
                #expect(error.message.hasPrefix(messagePrefix), "\(selector): \(error.message)")
            }
        }
    }

    @Test func fieldSelectorParsesAndMatches() throws {
        let selector = try FieldSelector(parsing: "status.phase=Running,spec.nodeName!=node-2,metadata.name==web\\,0")
        try selector.validateForPods()
        #expect(selector.requirements.count == 3)
        #expect(selector.requirements[2].value == "web,0")
        #expect(selector.matches(["status.phase": "Running", "spec.nodeName": "node-1", "metadata.name": "web,0"]))
        #expect(!selector.matches(["status.phase": "Running", "spec.nodeName": "node-2", "metadata.name": "web,0"]))
    }

    @Test func fieldSelectorErrors() {
        #expect(throws: SelectorError("field label not supported: metadata.labels")) {
            try FieldSelector(parsing: "metadata.labels=x").validateForPods()
        }
        #expect(throws: SelectorError("invalid selector: 'status.phase'; can't understand 'status.phase'")) {
            try FieldSelector(parsing: "status.phase")
        }
        #expect(throws: SelectorError("invalid field selector: invalid escape sequence: \\x")) {
            try FieldSelector(parsing: "metadata.name=a\\x")
        }
    }

    @Test func podFieldValues() {
        let pod = SimulatedPod(namespace: "ns", name: "p", nodeName: "n1", phase: .pending, podIP: nil)
        let selector = try! FieldSelector(parsing: "status.podIP=,status.phase=Pending,spec.hostNetwork=false")
        #expect(selector.matches(pod.fieldValues))
    }
}

@Suite("URL decoding")
struct URLDecodingTests {
    @Test func percentDecoding() {
        #expect(PercentDecoding.decode("a%2Fb") == "a/b")
        #expect(PercentDecoding.decode("%zz") == nil)
        #expect(PercentDecoding.decode("%4") == nil)
        #expect(PercentDecoding.decode("a+b", plusIsSpace: true) == "a b")
        let query = QueryParameters("labelSelector=app%3Dweb&watch=1&limit=")
        #expect(query.first("labelSelector") == "app=web")
        #expect(query.isWatch)
        #expect(query.first("limit") == "")
        #expect(QueryParameters("a=%zz").malformed)
    }

    @Test func requestInfoMatchesTheAPIServer() {
        func info(_ method: String, _ path: String, _ query: String? = nil) -> RequestInfo {
            RequestInfo(
                method: method,
                path: path,
                segments: path.split(separator: "/").map(String.init),
                query: QueryParameters(query)
            )
        }
        let proxy = info("GET", "/api/v1/namespaces/app/pods/web-0:9102/proxy/metrics")
        #expect(
            proxy.isResourceRequest && proxy.verb == "get" && proxy.resource == "pods" && proxy.subresource == "proxy"
        )
        #expect(proxy.name == "web-0:9102" && proxy.namespace == "app")
        #expect(info("GET", "/api/v1/pods", "watch=true").verb == "watch")
        #expect(info("GET", "/api/v1/pods").verb == "list")
        #expect(info("DELETE", "/api/v1/namespaces/a/pods").verb == "deletecollection")
        #expect(!info("GET", "/api/v1").isResourceRequest)
        #expect(!info("GET", "/apis/authorization.k8s.io/v1").isResourceRequest)
        let review = info("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        #expect(
            review.apiGroup == "authorization.k8s.io" && review.verb == "create"
                && review.resource == "selfsubjectaccessreviews"
        )
        let namespace = info("GET", "/api/v1/namespaces/kube-system")
        #expect(namespace.resource == "namespaces" && namespace.name == "kube-system")
    }
}
