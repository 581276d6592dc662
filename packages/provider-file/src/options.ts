import type { CommonProviderOptions } from "@polyvault/core";

export interface FileProviderOptions extends CommonProviderOptions {
  /** The store's root directory (the CLI uses <data-dir>/store). */
  readonly dir: string;
  /** Largest value in bytes (default 1 MiB). */
  readonly maxValueBytes?: number;
}
