import CrowsnestCore
import Testing

@Suite("Label and field selectors (apimachinery grammar)")
struct ConfigSelectorTests {
    @Test(
        "valid label selectors",
        arguments: [
            "", "app", "!app", "app=web", "app==web", "app!=web", "app=", "tier in (a, b)", "tier notin (a,b)",
            "app.kubernetes.io/name=web", "a=b,c!=d,!e,f in (x)", " app = web , tier in ( a , b ) ", "x in ()",
            "x in (a,)", "replicas>3", "replicas < 10", "in=notin", "k in (in, notin)",
            "environment in (prod, canary), !legacy",
        ]
    )
    func validLabelSelectors(text: String) throws {
        _ = try LabelSelector(parsing: text)
    }

    @Test(
        "invalid label selectors",
        arguments: [
            "=web", "app=web,", ",app", "app=web=x", "tier in a", "tier in (a", "tier in (a b)", "app=-web",
            "app=we b", "-app=x", "a/b/c=x", "UPPER.example/x=y", "app>x", "!app=web", "app notin",
            String(repeating: "k", count: 64) + "=v", "app=" + String(repeating: "v", count: 64), "app web",
        ]
    )
    func invalidLabelSelectors(text: String) {
        #expect(throws: SelectorSyntaxError.self) { try LabelSelector(parsing: text) }
    }

    @Test("label selector requirements and matching")
    func labelSelectorMatching() throws {
        let selector = try LabelSelector(parsing: "app=web,tier in (front, back),!legacy,env!=dev,version")
        #expect(selector.requirements.count == 5)
        #expect(selector.requirements[1].op == .in)
        #expect(selector.requirements[1].values == ["front", "back"])
        #expect(selector.matches(["app": "web", "tier": "front", "version": "1"]))
        #expect(!selector.matches(["app": "web", "tier": "front"]))
        #expect(!selector.matches(["app": "web", "tier": "front", "version": "1", "legacy": "y"]))
        #expect(!selector.matches(["app": "web", "tier": "db", "version": "1"]))
        #expect(!selector.matches(["app": "web", "tier": "front", "version": "1", "env": "dev"]))
        let gt = try LabelSelector(parsing: "replicas>3")
        #expect(gt.matches(["replicas": "4"]) && !gt.matches(["replicas": "3"]) && !gt.matches([:]))
        #expect(try LabelSelector(parsing: "").matches([:]))
    }

    @Test("label selector errors say where")
    func labelSelectorErrorOffset() {
        do {
            _ = try LabelSelector(parsing: "app=web,tier in a")
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 16)
            #expect(error.reason.contains("expected: '('"))
        }
    }

    @Test(
        "valid pod field selectors",
        arguments: [
            "", "status.phase=Running", "status.phase==Running", "spec.nodeName!=node-1",
            "metadata.namespace=shop,status.phase=Running", "metadata.name=a\\,b", "spec.hostNetwork=false",
            "status.podIP=", "metadata.name=x\\=y\\\\z",
        ]
    )
    func validFieldSelectors(text: String) throws {
        _ = try FieldSelector(parsing: text)
    }

    @Test(
        "invalid pod field selectors",
        arguments: [
            "status.phase", "metadata.labels.app=x", "status.hostIP=1.2.3.4", "phase=Running", "status.phase =Running",
            "metadata.name=a\\b", "metadata.name=a\\", "status.phase in (Running)", "=x",
        ]
    )
    func invalidFieldSelectors(text: String) {
        #expect(throws: SelectorSyntaxError.self) { try FieldSelector(parsing: text) }
    }

    @Test("field selector unknown field suggestion and matching")
    func fieldSelectorDetails() throws {
        do {
            _ = try FieldSelector(parsing: "status.phaze=Running")
            Issue.record("expected an error")
        } catch {
            #expect(error.reason.contains("field label not supported: status.phaze"))
            #expect(error.reason.contains("did you mean 'status.phase'"))
        }
        let selector = try FieldSelector(parsing: "status.phase=Running,metadata.name!=a\\,b")
        #expect(selector.requirements.map(\.value) == ["Running", "a,b"])
        #expect(selector.matches(["status.phase": "Running", "metadata.name": "c"]))
        #expect(!selector.matches(["status.phase": "Running", "metadata.name": "a,b"]))
    }
}
