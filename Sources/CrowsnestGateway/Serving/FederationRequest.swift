public import CrowsnestCore

/// What a `/metrics` (or `/federate`) request asks for.
public struct FederationRequest: Sendable {
    /// The output format (content-negotiated).
    public var format: ExpositionFormat
    /// Only these clusters (`?cluster=`, repeatable); empty = all.
    public var clusters: Set<String>
    /// `match[]` selectors; empty = everything. A sample is served when any selector matches it.
    public var selectors: [SeriesSelector]

    /// Creates a request.
    public init(format: ExpositionFormat = .text, clusters: Set<String> = [], selectors: [SeriesSelector] = []) {
        self.format = format
        self.clusters = clusters
        self.selectors = selectors
    }
}
