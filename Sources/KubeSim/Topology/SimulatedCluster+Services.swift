public import Foundation

extension SimulatedCluster {
    /// Adds a Service (whose EndpointSlices the simulated controller then maintains) with the
    /// `prometheus.io/*` annotations of the `kubernetes-service-endpoints` convention: `scrape` ("true"/"false",
    /// nil = no annotation), `scrapePort`, `scrapePath`, `scrapeScheme` (each nil = no annotation), plus
    /// `annotations`. By default it selects `app: NAME` and exposes port 9102 as the named target port `metrics`,
    /// which is what ``addExporterPods(namespace:count:seriesPerPod:namePrefix:labels:annotate:port:)`` makes.
    @discardableResult
    public func addService(
        namespace: String,
        name: String,
        selector: [String: String]? = nil,
        ports: [SimulatedService.Port] = [.init(name: "metrics", port: 9102, targetPort: "metrics")],
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        scrape: Bool? = true,
        scrapePort: Int? = nil,
        scrapePath: String? = nil,
        scrapeScheme: String? = nil
    ) throws(KubeSimError) -> SimulatedService {
        var allAnnotations = annotations
        if let scrape { allAnnotations["prometheus.io/scrape"] = scrape ? "true" : "false" }
        if let scrapePort { allAnnotations["prometheus.io/port"] = String(scrapePort) }
        if let scrapePath { allAnnotations["prometheus.io/path"] = scrapePath }
        if let scrapeScheme { allAnnotations["prometheus.io/scheme"] = scrapeScheme }
        let service = SimulatedService(
            namespace: namespace,
            name: name,
            labels: labels.isEmpty ? ["app": name] : labels,
            annotations: allAnnotations,
            selector: selector ?? ["app": name],
            ports: ports
        )
        try services.add(service)
        return service
    }
}
