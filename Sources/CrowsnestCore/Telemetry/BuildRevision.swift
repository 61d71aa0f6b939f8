/// The git revision stamped into a release build; empty in a plain `swift build`.
///
/// `docker/Dockerfile` rewrites the string before it builds (`sed` on this file with its `REVISION` build argument);
/// keep the declaration on one line so that the stamp finds it.
enum BuildRevision {
    /// The revision, or empty.
    static let value = ""
}
