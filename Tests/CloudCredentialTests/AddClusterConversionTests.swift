import CrowsnestCore
import Foundation
import PeerSupport
import Testing

@testable import CrowsnestKube

/// `add-cluster` turns kubeconfig users whose exec plugin is a cloud CLI into the built-in kinds.
@Suite("add-cluster: cloud exec plugins to built-in credentials")
struct AddClusterConversionTests {
    static func plan(_ userYAML: String, keepExec: Bool = false) throws -> (ClusterFileWriter.Plan, ClusterConfig?) {
        let folder = try TemporaryDirectory("add-convert")
        defer { folder.remove() }
        let ca = Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).base64EncodedString()
        let kubeconfig = try folder.write(
            "kubeconfig",
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster:\n    server: https://ABC.gr7.eu-west-1.eks.amazonaws.com\n"
                + "    certificate-authority-data: \(ca)\nusers:\n- name: u1\n  user:\n"
                + userYAML.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
                + "contexts:\n- name: prod\n  context:\n    cluster: c1\n    user: u1\ncurrent-context: prod\n"
        )
        let resolved = try Kubeconfig.load(path: kubeconfig).resolve(context: nil)
        let plan = try ClusterFileWriter.plan(
            context: resolved,
            name: "prod",
            outputDirectory: folder.path,
            kubeconfigPath: kubeconfig,
            keepExec: keepExec
        )
        let report = ClusterFile.parse(
            yaml: plan.clusterFileYAML,
            context: ClusterFileContext(file: plan.clusterFilePath, baseDirectory: folder.path)
        )
        #expect(!report.hasErrors, "\(report.problems)")
        return (plan, report.config)
    }

    @Test("aws eks get-token with region, role and AWS_PROFILE becomes auth.aws; --keep-exec keeps the plugin")
    func awsCLI() throws {
        let user = """
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: aws
              args: [--region, eu-west-1, eks, get-token, --cluster-name, prod-eu, --role-arn, "arn:aws:iam::111122223333:role/ops", --output, json]
              env: [{name: AWS_PROFILE, value: ops}]
            """
        // The CLI's global --region may come first; kubeconfigs from `aws eks update-kubeconfig` put it there.
        let (converted, config) = try Self.plan(
            user.replacingOccurrences(
                of: "[--region, eu-west-1, eks, get-token",
                with: "[eks, get-token, --region, eu-west-1"
            )
        )
        #expect(converted.authKind == "aws")
        #expect(
            config?.auth
                == .aws(
                    AWSAuthConfig(
                        clusterName: "prod-eu",
                        region: "eu-west-1",
                        profile: "ops",
                        roleARN: "arn:aws:iam::111122223333:role/ops"
                    )
                )
        )
        #expect(converted.files.map(\.role).contains("exec env file") == false)
        let (kept, keptConfig) = try Self.plan(
            user.replacingOccurrences(
                of: "[--region, eu-west-1, eks, get-token",
                with: "[eks, get-token, --region, eu-west-1"
            ),
            keepExec: true
        )
        #expect(kept.authKind == "exec")
        #expect(keptConfig?.auth.kind == "exec")
    }

    @Test("plugins whose settings the built-in kind cannot carry are kept, with the reason")
    func keptWithReason() throws {
        let keys =
            "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: aws\n"
            + "  args: [eks, get-token, --cluster-name, prod-eu]\n  env: [{name: AWS_SECRET_ACCESS_KEY, value: s3cr3t}]"
        let (plan, config) = try Self.plan(keys)
        #expect(config?.auth.kind == "exec")
        #expect(plan.warnings.contains { $0.contains("is kept: its environment sets AWS_SECRET_ACCESS_KEY") })
        #expect(
            ExecPluginConversion.convert(ExecConfig(command: "aws", args: ["eks", "get-token", "--cluster-id", "x"]))
                == .kept(reason: "its argument --cluster-id has no built-in equivalent")
        )
        #expect(
            ExecPluginConversion.convert(ExecConfig(command: "kubelogin", args: ["convert-kubeconfig"]))
                == .kept(reason: nil)
        )
        #expect(
            ExecPluginConversion.convert(ExecConfig(command: "oidc-login", args: ["get-token"])) == .kept(reason: nil)
        )
    }

    @Test("aws-iam-authenticator and gke-gcloud-auth-plugin convert too")
    func otherPlugins() throws {
        #expect(
            ExecPluginConversion.convert(
                ExecConfig(
                    command: "/usr/local/bin/aws-iam-authenticator",
                    args: ["token", "-i", "shop", "-r", "arn:aws:iam::1:role/r"]
                )
            )
                == .converted(
                    yaml: "  aws:\n    cluster_name: \"shop\"\n    role_arn: \"arn:aws:iam::1:role/r\"\n",
                    kind: "aws",
                    notes: [
                        "the EKS token is minted by Crowsnest from the gateway's AWS credentials (environment, IRSA, Pod "
                            + "Identity or shared files), no aws CLI needed; --keep-exec keeps the plugin"
                    ]
                )
        )
        let gke =
            "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: gke-gcloud-auth-plugin\n"
            + "  args: [--use_application_default_credentials]\n"
            + "  env: [{name: GOOGLE_APPLICATION_CREDENTIALS, value: /etc/gcp/sa.json}]"
        let (plan, config) = try Self.plan(gke)
        #expect(plan.authKind == "gcp")
        #expect(config?.auth == .gcp(GCPAuthConfig(credentialsFile: "/etc/gcp/sa.json")))
        let (login, loginConfig) = try Self.plan(
            "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: gke-gcloud-auth-plugin"
        )
        #expect(loginConfig?.auth == .gcp(GCPAuthConfig()))
        #expect(login.warnings.contains { $0.contains("the plugin used your gcloud login") })
    }

    @Test("kubelogin with a service principal: auth.azure, its secret in a 0600 side file; workload identity too")
    func kubelogin() throws {
        let spn =
            "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: kubelogin\n"
            + "  args: [get-token, --login, spn, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --client-id, c-1, --tenant-id, t-1, --environment, AzurePublicCloud]\n"
            + "  env: [{name: AAD_SERVICE_PRINCIPAL_CLIENT_SECRET, value: kubelogin-secret}]"
        let (plan, config) = try Self.plan(spn)
        #expect(plan.authKind == "azure")
        let secretFile = try #require(plan.files.first { $0.role == "client secret" })
        #expect(secretFile.permissions == 0o600)
        #expect(secretFile.contents.revealed == "kubelogin-secret\n")
        #expect(!plan.clusterFileYAML.contains("kubelogin-secret"))
        #expect(
            config?.auth
                == .azure(AzureAuthConfig(tenantID: "t-1", clientID: "c-1", clientSecretFile: secretFile.path))
        )
        let workload =
            "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: kubelogin\n"
            + "  args: [get-token, --login, workloadidentity, --server-id, s-1]"
        #expect(try Self.plan(workload).1?.auth == .azure(AzureAuthConfig(serverID: "s-1")))
        let device =
            "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: kubelogin\n"
            + "  args: [get-token, --login, devicecode, --server-id, s-1]"
        let (kept, keptConfig) = try Self.plan(device)
        #expect(keptConfig?.auth.kind == "exec")
        #expect(kept.warnings.contains { $0.contains("its login devicecode needs a person") })
    }
}
