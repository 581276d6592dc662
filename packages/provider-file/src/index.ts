/**
 * @polyvault/provider-file: the embedded default provider. One directory per tenant, one directory per
 * secret, one file per version; atomic, durable writes; a lock between processes per secret. No server.
 *
 *   layout.ts     the on-disk layout and the reads of version files
 *   provider.ts   the Provider: reads, versions, tenants, health
 *   writes.ts     put, delete, rewriteVersion under the per-secret lock
 *   fs-errors.ts  any other file-system failure becomes UnavailableError
 */
import type { Provider } from "@polyvault/core";
import { withFsErrorsMapped } from "./fs-errors.js";
import type { FileProviderOptions } from "./options.js";
import { createRaw } from "./provider.js";

export { decodeName, encodeName, fileNameFits } from "./names.js";
export { decodeHeader, encodeVersion, type VersionHeader } from "./format.js";
export type { FileProviderOptions } from "./options.js";

export function createFileProvider(options: FileProviderOptions): Provider {
  return withFsErrorsMapped(createRaw(options), options.name);
}
