import CrowsnestCore
import CrowsnestKube
import Foundation
import Testing

@Suite("Kubeconfig parsing and resolution")
struct KubeconfigTests {
    static let yaml = """
        apiVersion: v1
        kind: Config
        current-context: prod
        clusters:
        - name: prod-cluster
          cluster:
            server: https://10.0.0.1:6443
            certificate-authority: certs/ca.crt
            tls-server-name: kubernetes.default.svc
        - name: dev-cluster
          cluster:
            server: https://dev.example:443
            certificate-authority-data: \(Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).base64EncodedString())
            insecure-skip-tls-verify: true
        users:
        - name: prod-user
          user:
            tokenFile: ../tokens/prod
            client-certificate: /abs/client.crt
            client-key: client.key
        - name: dev-user
          user:
            token: super-secret-token-abc
        - name: eks-user
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: aws
              args: [eks, get-token, --cluster-name, prod]
              env:
              - name: AWS_PROFILE
                value: prod
        - name: oidc-user
          user:
            auth-provider: {name: oidc, config: {id-token: secret-id-token}}
        - name: basic-user
          user: {username: admin, password: hunter2}
        contexts:
        - name: prod
          context: {cluster: prod-cluster, user: prod-user, namespace: monitoring}
        - name: dev
          context: {cluster: dev-cluster, user: dev-user}
        - name: eks
          context: {cluster: dev-cluster, user: eks-user}
        - name: oidc
          context: {cluster: dev-cluster, user: oidc-user}
        - name: basic
          context: {cluster: dev-cluster, user: basic-user}
        - name: dangling
          context: {cluster: nowhere, user: dev-user}
        - name: nouser
          context: {cluster: dev-cluster, user: ghost}
        """

    @Test("contexts resolve with paths against the kubeconfig's folder")
    func resolvesCurrentContext() throws {
        let config = try Kubeconfig.parse(yaml: Self.yaml, directory: "/home/ops/.kube")
        #expect(config.currentContext == "prod")
        #expect(config.contextNames == ["prod", "dev", "eks", "oidc", "basic", "dangling", "nouser"])
        let prod = try config.resolve(context: nil)
        #expect(prod.name == "prod")
        #expect(prod.server == "https://10.0.0.1:6443")
        #expect(prod.certificateAuthority == .file(path: "/home/ops/.kube/certs/ca.crt"))
        #expect(prod.tlsServerName == "kubernetes.default.svc")
        #expect(prod.namespace == "monitoring")
        #expect(prod.user.tokenFile == "/home/ops/tokens/prod")
        #expect(prod.user.clientCertificate == .file(path: "/abs/client.crt"))
        #expect(prod.user.clientKey == .file(path: "/home/ops/.kube/client.key"))
    }

    @Test("embedded data, tokens and exec plugins")
    func embeddedAndExec() throws {
        let config = try Kubeconfig.parse(yaml: Self.yaml, directory: "/k")
        let dev = try config.resolve(context: "dev")
        #expect(dev.insecureSkipVerify)
        guard case .pem(let pem) = dev.certificateAuthority else {
            Issue.record("no PEM")
            return
        }
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(dev.user.token?.revealed == "super-secret-token-abc")
        #expect(!"\(dev.user)".contains("super-secret-token-abc"))
        let eks = try config.resolve(context: "eks")
        #expect(eks.user.exec?.command == "aws")
        #expect(eks.user.exec?.args == ["eks", "get-token", "--cluster-name", "prod"])
        #expect(eks.user.exec?.apiVersion == "client.authentication.k8s.io/v1beta1")
        #expect(eks.user.exec?.env.map(\.name) == ["AWS_PROFILE"])
        #expect(eks.user.exec?.env.first?.value.revealed == "prod")
    }

    @Test("missing context, cluster and user are named; unsupported users are refused; no secret in errors")
    func errors() throws {
        let config = try Kubeconfig.parse(yaml: Self.yaml, directory: "/k")
        var error = #expect(throws: KubeconfigError.self) { try config.resolve(context: "staging") }
        #expect(error?.code == .missingContext)
        #expect(error?.message.contains("no context \"staging\"") == true)
        error = #expect(throws: KubeconfigError.self) { try config.resolve(context: "dangling") }
        #expect(error?.code == .missingCluster)
        #expect(error?.message.contains("\"nowhere\"") == true)
        error = #expect(throws: KubeconfigError.self) { try config.resolve(context: "nouser") }
        #expect(error?.code == .missingUser)
        #expect(error?.message.contains("\"ghost\"") == true)
        let oidc = try config.resolve(context: "oidc")
        error = #expect(throws: KubeconfigError.self) { try oidc.user.checkSupported(userName: oidc.userName) }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("auth-provider \"oidc\"") == true)
        #expect(error?.message.contains("secret-id-token") == false)
        let basic = try config.resolve(context: "basic")
        error = #expect(throws: KubeconfigError.self) { try basic.user.checkSupported(userName: basic.userName) }
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("username/password") == true)

        error = #expect(throws: KubeconfigError.self) { try Kubeconfig.parse(yaml: "token: abc: [", directory: "/") }
        #expect(error?.code == .syntax)
        error = #expect(throws: KubeconfigError.self) {
            try Kubeconfig.parse(
                yaml: "users: [{name: u, user: {client-key-data: '!!notbase64 secret-key!!'}}]",
                directory: "/"
            )
        }
        #expect(error?.message.contains("secret-key") == false)
        error = #expect(throws: KubeconfigError.self) { try Kubeconfig.load(path: "/nonexistent/kubeconfig") }
        #expect(error?.code == .unreadableFile)
        #expect(error?.message.contains("/nonexistent/kubeconfig") == true)
    }

    @Test("load reads a file and resolves relative paths against its folder")
    func loadFromFile() throws {
        let folder = NSTemporaryDirectory() + "kubeconfig-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.yaml.write(toFile: folder + "/config", atomically: true, encoding: .utf8)
        let prod = try Kubeconfig.load(path: folder + "/config").resolve(context: "prod")
        #expect(prod.certificateAuthority == .file(path: folder + "/certs/ca.crt"))
    }
}
