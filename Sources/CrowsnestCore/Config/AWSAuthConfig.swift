/// `auth.aws`: an EKS token minted in process, the shape `aws eks get-token` prints, from the credentials the AWS
/// SDKs find (environment, web identity, EKS Pod Identity, the shared `credentials`/`config` files), with an
/// optional role assumed on top.
public struct AWSAuthConfig: Sendable, Hashable {
    /// `cluster_name`: the EKS cluster's name, signed into the token as the `x-k8s-aws-id` header.
    public var clusterName: String
    /// `region`: the STS region the token is presigned for; nil = `AWS_REGION`, `AWS_DEFAULT_REGION`, then the
    /// profile's `region`.
    public var region: String?
    /// `profile`: the shared-files profile; nil = `AWS_PROFILE`, else `default`.
    public var profile: String?
    /// `role_arn`: a role assumed (STS `AssumeRole`) with the credentials found, as `aws eks get-token --role-arn`.
    public var roleARN: String?

    /// Creates an AWS configuration.
    public init(clusterName: String, region: String? = nil, profile: String? = nil, roleARN: String? = nil) {
        self.clusterName = clusterName
        self.region = region
        self.profile = profile
        self.roleARN = roleARN
    }
}
