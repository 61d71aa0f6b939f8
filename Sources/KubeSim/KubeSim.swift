// KubeSim: a faithful Kubernetes API simulator for Crowsnest's tests, benchmarks and `crowsnest demo`.
//
// Entry points:
// - `SimulatedCluster` — one API server (HTTPS on a loopback port, own CA): `run()`, `withRunning(_:)`,
//   `SimulatedCluster.withRunning([clusters])`, `pods` (a `PodStore` to mutate), `tokens`, `policy`,
//   `updateFaults(_:)`, `stopListening()` / `resumeListening()`, `requestLog`; `nodes`, `services`,
//   `endpointSlices` (`ResourceStore`s; the slices of Services with a selector are kept consistent with the pods by
//   a simulated EndpointSlice controller), `addNodes(count:namePrefix:labels:startedAt:)`, `addService(…)`.
// - `SimulatedNode` / `SimulatedKubelet` — a node and its kubelet behind the node proxy (`/metrics`,
//   `/metrics/cadvisor`, `/metrics/resource`, `/metrics/probes`; `freeze(at:)`, `behavior` faults).
// - `ArticleRelabeling`, `NodeAndServiceRelabeling` — peer (Prometheus, vmagent) relabel rules for the same jobs.
// - `SimulatedExporter` / `ExporterServer` — realistic metrics at a chosen series count, in process or on a port.
// - `DemoTopology` / `ClusterFiles` — the three demo clusters and the cluster files, CAs, tokens and kubeconfig.
// - `EKSAuthentication` — offline verification of `aws eks get-token` tokens.
//
// Layout: API/ (request handling: discovery, lists, watches, proxy, Status errors), Auth/ (tokens, EKS, RBAC),
// Cluster/ (the cluster, faults, request log), Exporter/, HTTP/ (NIO listener and response writer), Pods/ (the
// store, selectors, paging, tables), Resources/ (the generic store for nodes, Services, EndpointSlices), Nodes/
// (nodes, kubelets, their metrics), Services/ (Services, EndpointSlices, the controller), Proxy/, TLS/,
// Topology/.
