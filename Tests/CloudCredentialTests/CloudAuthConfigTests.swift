import CrowsnestCore
import Foundation
import Testing

@testable import CrowsnestKube

/// The `auth.aws` and `auth.gcp` blocks of a cluster file.
@Suite("Cluster files with built-in cloud credentials")
struct CloudAuthConfigTests {
    static func parse(_ auth: String) -> ClusterFileReport {
        ClusterFile.parse(
            yaml: "api_server: https://203.0.113.10:6443\nauth:\n" + auth,
            context: ClusterFileContext(
                file: "/etc/clusters/prod.yaml",
                baseDirectory: "/etc/clusters",
                homeDirectory: "/home/ops"
            )
        )
    }

    static func errors(_ report: ClusterFileReport) -> [String] {
        report.problems.filter(\.isError).map { "\($0.field): \($0.reason)" }
    }

    @Test("aws: cluster_name, region, profile, role_arn; empty strings mean unset")
    func aws() throws {
        let full = Self.parse(
            "  aws: { cluster_name: prod-eu, region: eu-west-1, profile: prod, role_arn: \"arn:aws:iam::111122223333:role/crowsnest\" }\n"
        )
        #expect(Self.errors(full).isEmpty)
        guard case .aws(let config)? = full.config?.auth else {
            Issue.record("not aws: \(String(describing: full.config?.auth))")
            return
        }
        #expect(
            config
                == AWSAuthConfig(
                    clusterName: "prod-eu",
                    region: "eu-west-1",
                    profile: "prod",
                    roleARN: "arn:aws:iam::111122223333:role/crowsnest"
                )
        )
        #expect(full.config?.auth.kind == "aws")
        let minimal = Self.parse("  aws: { cluster_name: prod-eu, region: \"\", profile: \"\", role_arn: \"\" }\n")
        guard case .aws(let bare)? = minimal.config?.auth else {
            Issue.record("not aws")
            return
        }
        #expect(bare == AWSAuthConfig(clusterName: "prod-eu"))
    }

    @Test("aws: a missing cluster name, a bad region or role ARN, an unknown key, or a second method are errors")
    func awsErrors() {
        #expect(
            Self.errors(Self.parse("  aws: { region: eu-west-1 }\n")) == [
                "auth.aws.cluster_name: required: the EKS cluster's name"
            ]
        )
        #expect(Self.errors(Self.parse("  aws:\n")) == ["auth.aws.cluster_name: required: the EKS cluster's name"])
        #expect(
            Self.errors(Self.parse("  aws: { cluster_name: a, region: EU West }\n"))
                == ["auth.aws.region: \"EU West\" is not an AWS region (such as eu-west-1)"]
        )
        #expect(
            Self.errors(Self.parse("  aws: { cluster_name: a, role_arn: crowsnest }\n"))
                == ["auth.aws.role_arn: \"crowsnest\" is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"]
        )
        #expect(
            Self.errors(Self.parse("  aws: { cluster_name: a, clustername: b }\n")).first?.hasPrefix(
                "auth.aws.clustername: unknown field"
            ) == true
        )
        let both = Self.errors(Self.parse("  bearer_token_file: /t\n  aws: { cluster_name: a }\n"))
        #expect(both.count == 1)
        #expect(both.first?.contains("set exactly one of") == true)
    }

    @Test("gcp: a key file (resolved, listed as a secret file) or, empty, the metadata server")
    func gcp() throws {
        let file = Self.parse("  gcp: { credentials_file: keys/gke.json }\n")
        #expect(Self.errors(file).isEmpty)
        #expect(file.config?.auth == .gcp(GCPAuthConfig(credentialsFile: "/etc/clusters/keys/gke.json")))
        let reference = try #require(file.fileReferences.first { $0.kind == .gcpCredentials })
        #expect(reference.path == "/etc/clusters/keys/gke.json")
        #expect(reference.kind.holdsSecret)
        #expect(Self.parse("  gcp: { credentials_file: \"\" }\n").config?.auth == .gcp(GCPAuthConfig()))
        #expect(Self.parse("  gcp: {}\n").config?.auth == .gcp(GCPAuthConfig()))
        #expect(Self.parse("  gcp:\n").config?.auth == .gcp(GCPAuthConfig()))
        #expect(
            Self.errors(Self.parse("  gcp: { file: x }\n")).first?.hasPrefix("auth.gcp.file: unknown field") == true
        )
    }

    @Test("azure: tenant, client, one of the token and secret files (resolved, secret), server id defaulting to AKS's")
    func azure() throws {
        let secret = Self.parse("  azure: { tenant_id: t-1, client_id: c-1, client_secret_file: secrets/aks }\n")
        #expect(Self.errors(secret).isEmpty)
        #expect(
            secret.config?.auth
                == .azure(
                    AzureAuthConfig(tenantID: "t-1", clientID: "c-1", clientSecretFile: "/etc/clusters/secrets/aks")
                )
        )
        #expect(secret.fileReferences.first { $0.kind == .azureClientSecret }?.kind.holdsSecret == true)
        #expect(Self.parse("  azure:\n").config?.auth == .azure(AzureAuthConfig()))
        let federated = Self.parse(
            "  azure: { federated_token_file: /var/run/secrets/azure/tokens/azure-identity-token, server_id: s-1 }\n"
        )
        #expect(
            federated.config?.auth
                == .azure(
                    AzureAuthConfig(
                        federatedTokenFile: "/var/run/secrets/azure/tokens/azure-identity-token",
                        serverID: "s-1"
                    )
                )
        )
        #expect(
            Self.errors(Self.parse("  azure: { federated_token_file: /a, client_secret_file: /b }\n"))
                == ["auth.azure.client_secret_file: set one of federated_token_file and client_secret_file"]
        )
        #expect(
            Self.errors(Self.parse("  azure: { tenant_id: \"a b\" }\n"))
                == ["auth.azure.tenant_id: \"a b\" is not an Entra ID identifier (a GUID or a domain)"]
        )
    }
}
