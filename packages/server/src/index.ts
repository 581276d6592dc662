/** @polyvault/server: the HTTP gateway (docs/gateway.md). */
export { type Gateway, VERSION, createServer } from "./app.js";
export { describeHttpError } from "./errors.js";
export type { ProviderHealth } from "./health.js";
export { GatewayMetrics } from "./metrics/registry.js";
export { openApiDocument } from "./openapi.js";
export type { ServerOptions } from "./options.js";
export { DEFAULT_PORT, type RunningGateway, type ServeOptions, serve } from "./serve.js";
export { type VaultServerOptions, createVaultServer } from "./vault-compat/index.js";
export { type ClusterOptions, type RunningCluster, WorkerStartError, startCluster } from "./cluster/primary.js";
export { type WorkerRole, announceReady, drainOrdered, leaveCluster, turnToOpen, workerPorts, workerRole } from "./cluster/worker.js";
