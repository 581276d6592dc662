/**
 * The three-way diff for one secret: source head, target head and the record of the last sync.
 * Pure: no I/O, no values. See docs/sync.md for the table this implements.
 */
import { META, type SecretHead } from "@polyvault/core";
import type { SyncRecord } from "../state/types.js";
import type { ActionKind, ConflictPolicy } from "./types.js";

export interface DiffInput {
  readonly source: SecretHead | undefined;
  readonly target: SecretHead | undefined;
  readonly record: SyncRecord | undefined;
  readonly prune: boolean;
  readonly conflict: ConflictPolicy;
  /** The target cannot hold this name or value (reason), found before any write. */
  readonly unfit?: string | undefined;
}

export interface DiffResult {
  readonly action: ActionKind;
  readonly reason: string;
  readonly apply: "write" | "delete" | "none";
}

const digestOf = (h: SecretHead | undefined) => h?.metadata[META.digest];

function resolve(action: "drift" | "conflict", reason: string, policy: ConflictPolicy): DiffResult {
  if (policy === "source-wins") return { action, reason: `${reason}; source-wins: the source's value will be written`, apply: "write" };
  if (policy === "target-wins") return { action, reason: `${reason}; target-wins: the target is left as it is`, apply: "none" };
  return { action, reason: `${reason}; policy fail: left for a person to decide`, apply: "none" };
}

export function diff(i: DiffInput): DiffResult | undefined {
  const { source, target, record } = i;
  const sd = digestOf(source);
  const td = digestOf(target);

  if (source && !source.managed) return { action: "noop", reason: "source secret is not managed by Polyvault (adopt it first)", apply: "none" };
  if (target && !target.managed)
    return { action: "conflict", reason: "target holds a secret Polyvault does not manage at this name; it is never modified", apply: "none" };
  if (source && sd === undefined) return { action: "conflict", reason: "source secret has no digest metadata (written out of band?)", apply: "none" };

  if (source && i.unfit) return { action: "conflict", reason: `target cannot hold it: ${i.unfit}`, apply: "none" };

  if (source && !target) {
    if (!record) return { action: "create", reason: "missing in target", apply: "write" };
    return resolve("drift", "deleted from the target out of band", i.conflict);
  }

  if (source && target) {
    if (sd === td) return { action: "noop", reason: "in sync", apply: "none" };
    if (!record) return resolve("conflict", "exists in both with different values and no sync record", i.conflict);
    const sourceChanged = record.sourceDigest !== sd;
    const targetChanged = record.targetVersion !== target.version || td !== record.sourceDigest;
    if (sourceChanged && !targetChanged) return { action: "update", reason: "changed in source", apply: "write" };
    if (!sourceChanged && targetChanged) return resolve("drift", "changed in the target out of band", i.conflict);
    if (sourceChanged && targetChanged) return resolve("conflict", "changed in both source and target since the last sync", i.conflict);
    return { action: "update", reason: "target differs from the last synced value", apply: "write" };
  }

  if (!source && target) {
    if (!record) return { action: "noop", reason: "only in target, not written by this route: left alone", apply: "none" };
    if (!i.prune) return { action: "noop", reason: "deleted in source; prune is off", apply: "none" };
    return { action: "delete", reason: "deleted in source (prune)", apply: "delete" };
  }

  // Neither side has it: only a stale record remains.
  return undefined;
}
