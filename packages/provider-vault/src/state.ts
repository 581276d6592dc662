/**
 * What is at a secret's path, from its metadata: whether a current version is readable, who owns it,
 * and its head. This is the one place that decides ownership, for head(), list(), put() and delete().
 *
 * Owner resolution, cheapest first:
 * 1. custom_metadata marked for this tenant and name, describing the current version → ours, and the
 *    head comes from metadata alone (no value read);
 * 2. custom_metadata marked by someone else (another tenant or tool) → not ours;
 * 3. otherwise (unmarked, or describing an older version: a put that stopped between its data write and
 *    its metadata write, or racing writers) → read the newest readable version and trust its embedded
 *    pv_meta. This reads a value, but only for such leftovers and for unmanaged secrets.
 */
import type { SecretHead, SecretMetadata } from "@polyvault/core";
import type { KvMetadata, KvV2 } from "./kv.js";
import type { Operation } from "./operation.js";
import { DESCRIBES_KEY, type Owner, callerMetadata, embeddedMeta, marking } from "./record.js";

export interface PathState {
  readonly meta: KvMetadata | undefined;
  /** "none": nothing at the path at all. */
  readonly owner: "ours" | "not-ours" | "none";
  /** Present when the current version is readable. */
  readonly head: SecretHead | undefined;
  /** custom_metadata already carries our markers for the current version (no repair needed). */
  readonly markedCurrent: boolean;
}

function newestReadable(meta: KvMetadata): number | undefined {
  let best: number | undefined;
  for (const [id, v] of meta.versions) if (!v.gone && (best === undefined || id > best)) best = id;
  return best;
}

export async function inspect(op: Operation, kv: KvV2, path: string, owner: Owner): Promise<PathState> {
  const meta = await kv.readMetadata(op, path);
  if (!meta) return { meta, owner: "none", head: undefined, markedCurrent: false };
  const current = meta.versions.get(meta.currentVersion);
  const live = meta.currentVersion > 0 && current !== undefined && !current.gone;
  const custom = marking(meta.customMetadata, owner);
  const markedCurrent = custom === "ours" && meta.customMetadata[DESCRIBES_KEY] === String(meta.currentVersion);

  let ours: boolean;
  let metadata: SecretMetadata = {};
  if (markedCurrent) {
    ours = true;
    metadata = callerMetadata(meta.customMetadata);
  } else if (custom === "foreign") {
    ours = false;
  } else {
    const probe = live ? meta.currentVersion : newestReadable(meta);
    const version = probe === undefined ? undefined : await kv.readVersion(op, path, probe);
    const embedded = version ? embeddedMeta(version.data) : undefined;
    const embeddedOurs = marking(embedded, owner) === "ours";
    // Marked ours but overwritten by another tool: still ours (the marker says so), without metadata.
    ours = embeddedOurs || custom === "ours";
    if (embeddedOurs && embedded) metadata = callerMetadata(embedded);
  }

  const head: SecretHead | undefined = live
    ? {
        name: owner.name,
        version: String(meta.currentVersion),
        updatedAt: current?.createdAt,
        managed: ours,
        metadata: ours ? metadata : {},
      }
    : undefined;
  return { meta, owner: ours ? "ours" : "not-ours", head, markedCurrent };
}
