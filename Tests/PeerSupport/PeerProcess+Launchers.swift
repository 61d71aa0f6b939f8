extension PeerProcess {
    /// vmagent scraping with `config`, serving its API on `httpPort`, remote-writing to a closed port (the tests
    /// read its targets API, not what it ships), data in `scratch`.
    public static func vmagent(
        _ binary: PeerBinary,
        config: String,
        httpPort: Int,
        scratch: TemporaryDirectory
    ) throws -> PeerProcess {
        let deadPort = try freeLoopbackPort()
        return try PeerProcess(
            binary,
            [
                "-promscrape.config=\(config)", "-httpListenAddr=127.0.0.1:\(httpPort)",
                "-remoteWrite.url=http://127.0.0.1:\(deadPort)/api/v1/write",
                "-remoteWrite.tmpDataPath=\(scratch.file("data"))", "-promscrape.kubernetesSDCheckInterval=1s",
                "-promscrape.config.strictParse=false",
            ],
            home: scratch.path
        )
    }

    /// Prometheus with `config`, its web API on `port`, its TSDB in `scratch`.
    public static func prometheus(
        _ binary: PeerBinary,
        config: String,
        port: Int,
        scratch: TemporaryDirectory
    ) throws -> PeerProcess {
        try PeerProcess(
            binary,
            [
                "--config.file=\(config)", "--storage.tsdb.path=\(scratch.file("data"))",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ],
            home: scratch.path
        )
    }
}
