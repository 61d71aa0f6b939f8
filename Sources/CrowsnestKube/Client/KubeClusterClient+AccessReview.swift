import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1

extension KubeClusterClient {
    /// The permissions of `permissions` the API server says this client lacks, asked one `SelfSubjectAccessReview`
    /// each (empty: all granted).
    ///
    /// - Throws: ``KubeClientError`` when a review cannot be asked or its answer read (the check is then unknown, not
    ///   failed).
    public func missingPermissions(
        _ permissions: [RequiredPermission],
        deadline: NIODeadline
    )
        async throws(KubeClientError) -> [RequiredPermission]
    {
        struct Status: Decodable { var allowed: Bool? }
        struct Answer: Decodable { var status: Status? }
        var missing: [RequiredPermission] = []
        for permission in permissions {
            let response = try await post(
                path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                json: permission.reviewJSON,
                deadline: deadline
            )
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: 1 << 20)
            } catch {
                throw classify(error)
            }
            guard response.status.code == 201 || response.status.code == 200,
                let answer = try? JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView))
            else {
                throw KubeClientError(
                    .badResponse,
                    cluster: name,
                    "cluster \(name) answered a SelfSubjectAccessReview with HTTP \(response.status.code)",
                    status: Int(response.status.code)
                )
            }
            if answer.status?.allowed != true { missing.append(permission) }
        }
        return missing
    }
}
