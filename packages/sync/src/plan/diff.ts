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
  /**
   * What apply will do: write, delete, nothing — or verify: read the target back and record it only if
   * it holds the source's value (for envelope targets, an envelope for this tenant, name and the source's
   * revision), else treat it as drift under the route's policy.
   */
  readonly apply: "write" | "delete" | "verify" | "none";
}

const digestOf = (h: SecretHead | undefined) => h?.metadata[META.digest];

function resolve(action: "drift" | "conflict", reason: string, policy: ConflictPolicy): DiffResult {
  if (policy === "source-wins") return { action, reason: `${reason}; source-wins: the source's value will be written`, apply: "write" };
  if (policy === "target-wins") return { action, reason: `${reason}; target-wins: the target is left as it is`, apply: "none" };
  return { action, reason: `${reason}; policy fail: left for a person to decide`, apply: "none" };
}

/**
 * A target's own metadata never vouches for it: a target is in sync only when its version is the one
 * the (authenticated) record says this route wrote. A version the record does not know whose metadata
 * claims the source's digest (a write that landed before a crash, or a forgery) is read back and checked.
 */
export function diff(i: DiffInput): DiffResult | undefined {
  const { source, target, record } = i;
  const sd = digestOf(source);
  const td = digestOf(target);

  if (source && !source.managed) return { action: "noop", reason: "source secret is not managed by Polyvault (adopt it first)", apply: "none" };
  if (target && !target.managed)
    return { action: "conflict", reason: "target holds a secret Polyvault does not manage at this name; it is never modified", apply: "none" };
  if (source && sd === undefined) return { action: "conflict", reason: "source secret has no digest metadata (written out of band?)", apply: "none" };

  const sourceRevision = Number(source?.metadata[META.revision]);
  if (source && record && sourceRevision < record.sourceRevision)
    return {
      action: "conflict",
      reason: `the source's revision went back from ${record.sourceRevision} to ${sourceRevision} (restored or rolled back?): left for a person to decide`,
      apply: "none",
    };
  if (source && i.unfit) return { action: "conflict", reason: `target cannot hold it: ${i.unfit}`, apply: "none" };

  if (source && !target) {
    if (!record) return { action: "create", reason: "missing in target", apply: "write" };
    return resolve("drift", "deleted from the target out of band", i.conflict);
  }

  if (source && target) {
    const knownVersion = record !== undefined && record.targetVersion === target.version;
    if (knownVersion) {
      if (record.sourceDigest === sd) return { action: "noop", reason: "in sync", apply: "none" };
      return { action: "update", reason: "changed in source", apply: "write" };
    }
    if (sd === td) {
      if (!record) return { action: "noop", reason: "same digest but no sync record: apply reads the target back before recording it", apply: "verify" };
      return {
        action: "drift",
        reason: "the target has a version the last sync did not write, claiming the source's value: apply reads it back to check",
        apply: "verify",
      };
    }
    if (!record || record.sourceDigest !== sd) {
      const what = record ? "changed in both source and target since the last sync" : "exists in both with different values and no sync record";
      if (i.conflict === "source-wins") return resolve("conflict", what, i.conflict);
      // It may be this route's own write of a source revision after the record's (if any) and before the
      // source's, that a run which stopped (killed, crashed) never recorded: only the target's bytes can tell.
      return {
        action: "conflict",
        reason: `${what}; apply reads the target back: an earlier revision of the source's own value (written by a run that stopped before recording it) is updated, anything else is left (${i.conflict})`,
        apply: "verify",
      };
    }
    return resolve("drift", "changed in the target out of band", i.conflict);
  }

  if (!source && target) {
    if (!record) return { action: "noop", reason: "only in target, not written by this route: left alone", apply: "none" };
    if (!i.prune) return { action: "noop", reason: "deleted in source; prune is off", apply: "none" };
    if (record.targetVersion !== target.version)
      // Perhaps this route's own write of a later revision that a stopped run never recorded: apply reads it back.
      return {
        action: "drift",
        reason:
          "deleted in source, but the target has a version the last sync did not write: apply reads it back: a later revision of the source's own value (written by a run that stopped before recording it) is deleted, anything else is left alone",
        apply: "verify",
      };
    return { action: "delete", reason: "deleted in source (prune)", apply: "delete" };
  }

  // Neither side has it: only a stale record remains.
  return undefined;
}
