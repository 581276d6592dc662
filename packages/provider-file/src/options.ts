import type { CommonProviderOptions } from "@polyvault/core";

export interface FileProviderOptions extends CommonProviderOptions {
  /** The store's root directory (the CLI uses <data-dir>/store). */
  readonly dir: string;
  /** Largest value in bytes (default 1 MiB). */
  readonly maxValueBytes?: number;
  /**
   * Keep the newest version of secrets read lately, checked against the disk with two `stat`s per read
   * (read-cache.ts; default true). Turn it off for a store on a network file system, where a `stat` is a
   * round trip made on the event loop.
   */
  readonly readCache?: boolean;
}
