import CrowsnestCore
public import NIOCore

extension NIODeadline {
    /// The deadline `duration` from now: the one conversion from Swift's `Duration` to NIO's time, so every request
    /// deadline is computed the same way.
    public static func after(_ duration: Duration) -> NIODeadline {
        .now() + .nanoseconds(duration.inNanoseconds)
    }
}

extension TimeAmount {
    /// `duration` as a NIO time amount.
    public init(_ duration: Duration) {
        self = .nanoseconds(duration.inNanoseconds)
    }
}
