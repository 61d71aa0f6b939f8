import Synchronization

/// One cluster's last TLS diagnosis, so a cluster that keeps failing is probed (its chain fetched) once per kind
/// of failure, not on every request; forgotten after a request succeeds, and not used once the CA material or the
/// URL changed (they are part of the key).
final class TLSDiagnosisCache: Sendable {
    /// What a diagnosis was made for.
    struct Key: Hashable, Sendable {
        /// The TLS failure; `nil` for a plain-http URL whose connection failed (probed for a TLS server).
        var failure: TLSFailure?
        /// The trusted CA PEM at the time.
        var caPEM: String?
        /// The API server's base URL.
        var baseURL: String
    }

    private struct Entry: Sendable {
        var key: Key
        var diagnosis: TLSDiagnosis?
    }

    private let entry = Mutex<Entry?>(nil)
    /// Whether there is an entry, read without the lock on every successful request.
    private let hasEntry = Atomic<Bool>(false)
    private let probeCounter = Atomic<Int>(0)

    /// The diagnosis made for `key` (`.some(nil)` when the probe explained nothing), or `nil` when none was made.
    func lookup(_ key: Key) -> TLSDiagnosis?? {
        entry.withLock { entry in
            guard let entry, entry.key == key else { return nil }
            return .some(entry.diagnosis)
        }
    }

    /// Keeps the diagnosis made for `key` (replacing any other).
    func store(_ key: Key, _ diagnosis: TLSDiagnosis?) {
        probeCounter.add(1, ordering: .relaxed)
        entry.withLock { $0 = Entry(key: key, diagnosis: diagnosis) }
        hasEntry.store(true, ordering: .releasing)
    }

    /// Forgets the diagnosis (a request succeeded).
    func reset() {
        guard hasEntry.load(ordering: .acquiring) else { return }
        hasEntry.store(false, ordering: .releasing)
        entry.withLock { $0 = nil }
    }

    /// The last diagnosis, whatever it was made for (for errors classified without probing).
    var latest: TLSDiagnosis? { entry.withLock { $0?.diagnosis } }

    /// How many probes were made (for tests).
    var probes: Int { probeCounter.load(ordering: .relaxed) }
}
