// Types of cluster.mjs for the TypeScript tests that import it.
export interface Cluster {
  /** postgres://polyvault@127.0.0.1:PORT/postgres (trust auth on loopback). */
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the data directory, socket and log (undefined for a provided server). */
  readonly dir: string | undefined;
  /** A new empty database; returns its URL. */
  createDatabase(name?: string): string;
  /** Stops the server and removes its directory (a provided server is left alone). */
  stop(): void;
}
export function findBinDir(): string | undefined;
export function ensureInstalled(): string;
export function startCluster(options?: { fsync?: boolean }): Promise<Cluster>;
