/**
 * The one conformance suite every Polyvault provider passes, against its real server.
 * A provider's own test file is a few lines:
 *
 *   describeProviderConformance({ name: "aws", create: () => createAwsProvider({...}), seedUnmanaged, lacks: {...} });
 */
import type { Provider, TenantId } from "@polyvault/core";

export type LackableCapability = "checkAndSet" | "softDelete" | "versions" | "batchGet";

export interface ConformanceOptions {
  /** Label for the describe block. */
  readonly name: string;
  /** A provider instance on the shared backing store (called once per test file; reused). */
  readonly create: () => Provider | Promise<Provider>;
  /**
   * Write `value` the way something other than Polyvault would (raw SDK, no Polyvault markers), at the
   * exact native name Polyvault would use for (tenant, name). The suite then checks that Polyvault never
   * modifies or deletes it.
   */
  readonly seedUnmanaged: (tenant: TenantId, name: string, value: Buffer) => Promise<void>;
  /** Read back raw what is stored at Polyvault's native name for (tenant, name), bypassing the provider (for the unmanaged check). */
  readonly readRaw: (tenant: TenantId, name: string) => Promise<Buffer | undefined>;
  /** Capabilities the provider lacks, each with the reason; the suite then checks the documented fallback. */
  readonly lacks?: Partial<Record<LackableCapability, string>>;
  /** Names that this provider must refuse (nameFits false, put → InvalidInputError), beyond the suite's own. */
  readonly refusedNames?: readonly string[];
  /**
   * A provider instance pointed at an endpoint that refuses connections, with a short timeoutMs: the
   * suite checks that a read fails with UnavailableError (never NotFoundError) within that time.
   */
  readonly createUnreachable: () => Provider | Promise<Provider>;
  /**
   * Network providers: an instance pointed at http(s)://127.0.0.1:`port` with the given timeoutMs. The
   * suite points it at a refused port, a silent server and a server that is not the service
   * (`deadEndpoints()`), and checks every operation gives UnavailableError within the deadline.
   */
  readonly createAt?: (port: number, timeoutMs: number) => Provider | Promise<Provider>;
  /** The service compares native names case-insensitively (Azure): collisions are checked case-folded. */
  readonly nativeNamesCaseInsensitive?: boolean;
  /**
   * Set when the provider's real server cannot be had on this machine (its registry does not serve it):
   * the suite is then reported as skipped with this reason instead of passing or failing silently.
   */
  readonly serverUnavailable?: string | undefined;
  /** How many secrets the paging test writes (default 1000). */
  readonly listCount?: number;
  /** Per-test timeout in ms for the slow tests (default 120,000). */
  readonly slowTimeoutMs?: number;
}

export { describeProviderConformance } from "./suite.js";
export { type DeadEndpoints, deadEndpoints } from "./dead-endpoints.js";
export { type MemoryErrors, type MemoryProvider, type MemoryProviderOptions, memoryProvider } from "./memory.js";
