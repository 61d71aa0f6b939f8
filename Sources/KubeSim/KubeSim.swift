// KubeSim: a faithful Kubernetes API simulator for Crowsnest's tests, benchmarks and `crowsnest demo`.
//
// Entry points:
// - `SimulatedCluster` — one API server (HTTPS on a loopback port, own CA): `run()`, `withRunning(_:)`,
//   `SimulatedCluster.withRunning([clusters])`, `pods` (a `PodStore` to mutate), `tokens`, `policy`,
//   `updateFaults(_:)`, `stopListening()` / `resumeListening()`, `requestLog`.
// - `SimulatedExporter` / `ExporterServer` — realistic metrics at a chosen series count, in process or on a port.
// - `DemoTopology` / `ClusterFiles` — the three demo clusters and the cluster files, CAs, tokens and kubeconfig.
// - `EKSAuthentication` — offline verification of `aws eks get-token` tokens.
//
// Layout: API/ (request handling: discovery, lists, watches, proxy, Status errors), Auth/ (tokens, EKS, RBAC),
// Cluster/ (the cluster, faults, request log), Exporter/, HTTP/ (NIO listener and response writer), Pods/ (the
// store, selectors, paging, tables), Proxy/, TLS/, Topology/.
