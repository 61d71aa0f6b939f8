import CrowsnestCore
import Foundation

/// A set of AWS credentials and where they came from. Printing it shows the source and identity, never a key.
struct AWSCredentials: Sendable, CustomStringConvertible {
    /// `AWS_ACCESS_KEY_ID` (not secret on its own, but never shown either: it identifies the key).
    var accessKeyID: String
    /// `AWS_SECRET_ACCESS_KEY`.
    var secretAccessKey: Secret
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    var sessionToken: Secret?
    /// When temporary credentials expire; nil for long-term keys.
    var expiration: Date?
    /// Which source supplied them, for the health page and errors (`environment`, `web identity`, …).
    var source: String
    /// Who they authenticate as, when known without a call (an assumed role's ARN).
    var identity: String?
    /// When they were obtained (temporary credentials are refreshed a fifth of their lifetime, at most 5 minutes,
    /// before they expire).
    var obtainedAt = Date()

    var description: String { "AWSCredentials(source: \(source), identity: \(identity ?? "unknown"))" }

    /// Whether they are still good enough to sign with at `now`: long-term keys always; temporary ones until a fifth
    /// of their lifetime (at most 5 minutes) before expiry.
    func isFresh(at now: Date) -> Bool {
        guard let expiration else { return true }
        let lifetime = max(0, expiration.timeIntervalSince(obtainedAt))
        return expiration.timeIntervalSince(now) > min(300, lifetime / 5)
    }
}
