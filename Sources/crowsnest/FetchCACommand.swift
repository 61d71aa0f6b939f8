import ArgumentParser
import CrowsnestKube
import Foundation

/// `crowsnest fetch-ca https://HOST:PORT [--server-name NAME] [--out FILE] [--ca-file FILE]`: print the certificate
/// chain a server presents (trust on first use), optionally save its CA, or check that a CA file verifies it.
struct FetchCACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-ca",
        abstract: "Print the certificate chain a TLS server presents (trust on first use; compare before trusting).",
        discussion: """
            Connects WITHOUT verifying the server, prints every certificate it presents as PEM with subject, \
            issuer, validity and SHA-256 fingerprint (as `openssl x509 -fingerprint -sha256` prints it), and says \
            how to compare it with the cluster's own CA. Nothing is sent but the TLS handshake. With --out, the \
            presented CA (or self-signed) certificates are written to FILE for tls.ca_file; when the server does \
            not present its CA — usual for Kubernetes API servers — nothing is written and the exit status is 1. \
            With --ca-file, also says whether that CA verifies the server (a real handshake trusting only that \
            file, host name checked) and, when it does not, why; the exit status is then 1.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The server: https://HOST:PORT (or HOST:PORT; the port defaults to 443).")
    var server: String

    @Option(help: "The TLS server name (SNI) to send; default: the host, unless it is an IP address.")
    var serverName: String?

    @Option(help: "Write the presented CA certificates (PEM) to this file.")
    var out: String?

    @Option(help: "Check whether this CA file (PEM) verifies the server, and say why not.")
    var caFile: String?

    @Option(help: "Seconds to wait for the connection and handshake.")
    var timeout: Int = 10

    func validate() throws {
        do {
            _ = try CertificateFetcher.Endpoint(parsing: server)
        } catch {
            throw ValidationError(error.message)
        }
        guard (1...600).contains(timeout) else { throw ValidationError("--timeout must be 1–600 seconds") }
    }

    func run() async throws {
        global.bootstrapLogging()
        let endpoint: CertificateFetcher.Endpoint
        let chain: [PresentedCertificate]
        do {
            endpoint = try CertificateFetcher.Endpoint(parsing: server)
            chain = try await CertificateFetcher.fetch(endpoint, serverName: serverName, timeout: .seconds(timeout))
        } catch {
            standardError("error: \(error.message)")
            throw ExitStatus.runtimeFailure
        }
        FileHandle.standardOutput.write(Data(CertificateFetcher.report(chain, endpoint: endpoint).utf8))
        if let caFile {
            try await checkCAFile(caFile, endpoint: endpoint, chain: chain)
            if out == nil { return }
        }
        guard let out else {
            // Also on standard error, for when the report goes to a file or a pipe.
            standardError(
                "warning: TRUST ON FIRST USE — \(endpoint)'s certificates were fetched without verification; "
                    + "compare the SHA-256 fingerprint with the cluster's own CA before trusting them."
            )
            return
        }
        let anchors = CertificateFetcher.trustAnchors(in: chain)
        guard !anchors.isEmpty else {
            standardError(
                "error: \(endpoint) did not present a CA certificate; nothing written to \(out). "
                    + "Take the CA from the cluster's own configuration (see above)."
            )
            throw ExitStatus.runtimeFailure
        }
        do {
            try Data(CertificateFetcher.trustAnchorPEM(chain).utf8).write(to: URL(fileURLWithPath: out))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: out)
        } catch {
            standardError("error: cannot write \(out): \(error.localizedDescription)")
            throw ExitStatus.runtimeFailure
        }
        standardError(
            "wrote \(anchors.count) CA certificate\(anchors.count == 1 ? "" : "s") to \(out) — TRUST ON FIRST USE: "
                + "compare the SHA-256 fingerprint above with the cluster's own CA before relying on it."
        )
    }

    /// Says whether `path` verifies `endpoint` (a real handshake), and why not with ``TLSDiagnosis``.
    private func checkCAFile(
        _ path: String,
        endpoint: CertificateFetcher.Endpoint,
        chain: [PresentedCertificate]
    )
        async throws
    {
        let pem: String
        do {
            pem = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            standardError("error: cannot read \(path): \(error.localizedDescription)")
            throw ExitStatus.runtimeFailure
        }
        let source = TLSDiagnosis.CASource.file(path: path)
        do {
            try await CertificateFetcher.verify(
                endpoint,
                caPEM: pem,
                serverName: serverName,
                timeout: .seconds(timeout)
            )
            FileHandle.standardOutput.write(
                Data("# verified: \(source) verifies \(endpoint.hostAndPort)'s certificate\n".utf8)
            )
        } catch {
            let reason: String
            if error.code == .handshakeFailed,
                let diagnosis = TLSDiagnosis.diagnose(
                    chain: chain,
                    caPEM: pem,
                    source: source,
                    host: serverName ?? endpoint.host,
                    checksHostname: true
                )
            {
                reason = diagnosis.sentence
            } else {
                reason = error.message
            }
            FileHandle.standardOutput.write(Data("# not verified: \(reason)\n".utf8))
            standardError("error: \(source) does not verify \(endpoint.hostAndPort): \(reason)")
            throw ExitStatus.runtimeFailure
        }
    }

    private func standardError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
