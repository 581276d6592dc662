// Types of server.mjs for the TypeScript suites that start a private test Key Vault.
export const API_VERSIONS: readonly string[];
export function challengeHeader(tenantId: string): string;
export interface KeyVaultServerOptions {
  host?: string;
  /** 0: any free port. Default 8443. */
  port?: number;
  tenantId?: string;
  /** How long deletes, recoveries and purges take (default 300 ms). */
  transitionMs?: number;
  /** Transactions allowed in any 10 seconds: all, and secret creations (default 4000 and 300). */
  budget?: { all?: number; create?: number };
  recoverableDays?: number;
  purgeProtection?: boolean;
  softDelete?: boolean;
  backupKey?: Buffer;
  /** Called for every answer, with the request's method and path (no query, no body) and the status. */
  onRequest?: (r: { method: string; path: string; status: number; at: number }) => void;
  /** The clock (ms since the epoch), for tests that step time instead of waiting. */
  now?: () => number;
}
export interface KeyVaultServer {
  readonly url: string;
  readonly port: number;
  /** PEM of the self-signed certificate to trust. */
  readonly ca: string;
  readonly vault: { readonly recoveryLevel: string };
  readonly throttle: { inWindow(): number; limits: { all: number; create: number } };
  readonly counts: { requests: number; challenged: number; throttled: number; byStatus: Record<string, number> };
  close(): Promise<void>;
}
export function createKeyVaultServer(options?: KeyVaultServerOptions): Promise<KeyVaultServer>;
