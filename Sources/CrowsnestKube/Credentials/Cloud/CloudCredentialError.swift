/// Why a cloud credential could not be obtained: the step (credential source), the endpoint, the HTTP status and
/// the cloud's own error code. Never carries a secret: messages are built from fixed words, names and codes, and
/// the cloud's message is stripped of anything token-like.
struct CloudCredentialError: Error, Sendable, CustomStringConvertible {
    /// Which step failed, such as `aws web identity (AWS_WEB_IDENTITY_TOKEN_FILE)`.
    var step: String
    /// What went wrong, in plain words.
    var reason: String

    var description: String { "\(step): \(reason)" }

    /// An error of `step`.
    init(_ step: String, _ reason: String) {
        self.step = step
        self.reason = reason
    }

    /// A cloud's error message made safe to show: the first line, at most 200 characters, with long runs of
    /// token characters replaced by `<redacted>`.
    static func sanitized(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let tokenish =
                word.count >= 20 && word.allSatisfy { $0.isLetter || $0.isNumber || "+/=._-:".contains($0) }
                && word.contains(where: \.isNumber)
            return tokenish ? "<redacted>" : String(word)
        }
        let joined = words.joined(separator: " ")
        return joined.count > 200 ? String(joined.prefix(200)) + "…" : joined
    }
}
