extension OwnMetric {
    /// Samples a remote-write destination's receiver stored (counter; `remote_name`, `url`), like Prometheus'
    /// `prometheus_remote_storage_samples_total`.
    public static let remoteSamplesSent = OwnMetric(
        "crowsnest_remote_storage_samples_total",
        "Samples the remote-write receiver accepted."
    )
    /// Samples the receiver refused for good (4xx other than 429).
    public static let remoteSamplesFailed = OwnMetric(
        "crowsnest_remote_storage_samples_failed_total",
        "Samples the remote-write receiver rejected for good (4xx), not retried."
    )
    /// Samples sent again after a recoverable failure.
    public static let remoteSamplesRetried = OwnMetric(
        "crowsnest_remote_storage_samples_retried_total",
        "Samples sent again after a recoverable failure (5xx, 429, no answer)."
    )
    /// Samples dropped unsent (queue full without a buffer, buffer over max_size or max_age, buffer write failed).
    public static let remoteSamplesDropped = OwnMetric(
        "crowsnest_remote_storage_samples_dropped_total",
        "Samples dropped unsent, by reason (queue_full, max_size, max_age, buffer_error)."
    )
    /// Samples waiting to be sent (gauge).
    public static let remoteSamplesPending = OwnMetric(
        "crowsnest_remote_storage_samples_pending",
        "Samples waiting to be sent, in memory and in the buffer."
    )
    /// The newest timestamp the receiver accepted (gauge, seconds).
    public static let remoteHighestSentTimestamp = OwnMetric(
        "crowsnest_remote_storage_queue_highest_sent_timestamp_seconds",
        "Newest sample timestamp the remote-write receiver accepted, seconds since the epoch."
    )
    /// Shards (gauge).
    public static let remoteShards = OwnMetric(
        "crowsnest_remote_storage_shards",
        "Shards sending to the remote-write receiver (requests in flight at most)."
    )
    /// Bytes in the on-disk buffer (gauge).
    public static let remoteBufferBytes = OwnMetric(
        "crowsnest_remote_storage_buffer_bytes",
        "Bytes of the on-disk remote-write buffer."
    )
    /// Compressed request bytes sent (counter).
    public static let remoteBytesSent = OwnMetric(
        "crowsnest_remote_storage_sent_bytes_total",
        "Compressed request body bytes the remote-write receiver accepted."
    )
    /// Torn or corrupted buffer records skipped (counter).
    public static let remoteCorruptRecords = OwnMetric(
        "crowsnest_remote_storage_buffer_corrupt_records_total",
        "Torn or corrupted records skipped while reading the remote-write buffer."
    )

    /// The remote-write metrics.
    public static let remoteWrite: [OwnMetric] = [
        remoteSamplesSent, remoteSamplesFailed, remoteSamplesRetried, remoteSamplesDropped, remoteSamplesPending,
        remoteHighestSentTimestamp, remoteShards, remoteBufferBytes, remoteBytesSent, remoteCorruptRecords,
    ]
}
