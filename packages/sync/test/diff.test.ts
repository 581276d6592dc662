import type { SecretHead } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { diff } from "../src/plan/diff.js";
import type { SyncRecord } from "../src/state/types.js";

const head = (digest: string | undefined, version = "v1", managed = true): SecretHead => ({
  name: "s",
  version,
  updatedAt: undefined,
  managed,
  metadata: digest === undefined ? {} : { "pv-digest": digest, "pv-rev": "1" },
});
const rec = (sourceDigest: string, targetVersion = "t1"): SyncRecord => ({
  route: "r",
  target: "t",
  tenant: "a",
  name: "s",
  sourceDigest,
  sourceRevision: 1,
  targetVersion,
  syncedAt: new Date(),
});
const base = { prune: true, conflict: "source-wins" as const };

describe("three-way diff (docs/sync.md table)", () => {
  const cases: Array<[string, Parameters<typeof diff>[0], string | undefined, string | undefined]> = [
    ["new in source", { ...base, source: head("d1"), target: undefined, record: undefined }, "create", "write"],
    ["in sync", { ...base, source: head("d1"), target: head("d1", "t1"), record: rec("d1") }, "noop", "none"],
    [
      "same digest without record: read back before it is recorded",
      { ...base, source: head("d1"), target: head("d1", "t1"), record: undefined },
      "noop",
      "verify",
    ],
    [
      "same digest claimed by a version the record does not know: drift, read back",
      { ...base, source: head("d1"), target: head("d1", "t9"), record: rec("d1", "t1") },
      "drift",
      "verify",
    ],
    [
      "source revision went backwards",
      { ...base, source: head("d1"), target: head("d1", "t1"), record: { ...rec("d1"), sourceRevision: 5 } },
      "conflict",
      "none",
    ],
    [
      "deleted in source, but the target has a version the record does not know: read back (engine.test.ts)",
      { ...base, source: undefined, target: head("d1", "t9"), record: rec("d1", "t1") },
      "drift",
      "verify",
    ],
    ["changed in source", { ...base, source: head("d2"), target: head("d1", "t1"), record: rec("d1", "t1") }, "update", "write"],
    ["changed in target (drift), source-wins", { ...base, source: head("d1"), target: head("dX", "t2"), record: rec("d1", "t1") }, "drift", "write"],
    ["drift, target-wins", { ...base, conflict: "target-wins", source: head("d1"), target: head("dX", "t2"), record: rec("d1", "t1") }, "drift", "none"],
    ["drift, fail", { ...base, conflict: "fail", source: head("d1"), target: head("dX", "t2"), record: rec("d1", "t1") }, "drift", "none"],
    [
      "target rewritten out of band without metadata",
      { ...base, source: head("d1"), target: head(undefined, "t2"), record: rec("d1", "t1") },
      "drift",
      "write",
    ],
    ["changed in both", { ...base, source: head("d2"), target: head("dX", "t2"), record: rec("d1", "t1") }, "conflict", "write"],
    // Read back first: an earlier revision of the source's own value (a stopped run's unrecorded write) is
    // updated; anything else is left under the policy (engine.test.ts).
    ["changed in both, fail", { ...base, conflict: "fail", source: head("d2"), target: head("dX", "t2"), record: rec("d1", "t1") }, "conflict", "verify"],
    [
      "changed in both, target-wins",
      { ...base, conflict: "target-wins", source: head("d2"), target: head("dX", "t2"), record: rec("d1", "t1") },
      "conflict",
      "verify",
    ],
    ["both differ, no record, fail", { ...base, conflict: "fail", source: head("d2"), target: head("dX", "t2"), record: undefined }, "conflict", "verify"],
    ["both exist, differ, no record", { ...base, source: head("d2"), target: head("dX", "t2"), record: undefined }, "conflict", "write"],
    ["deleted from target out of band", { ...base, source: head("d1"), target: undefined, record: rec("d1") }, "drift", "write"],
    ["deleted in source, prune", { ...base, source: undefined, target: head("d1", "t1"), record: rec("d1") }, "delete", "delete"],
    ["deleted in source, prune off", { ...base, prune: false, source: undefined, target: head("d1", "t1"), record: rec("d1") }, "noop", "none"],
    ["only in target, never synced by this route", { ...base, source: undefined, target: head("d1", "t1"), record: undefined }, "noop", "none"],
    ["unmanaged at the target name", { ...base, source: head("d1"), target: head(undefined, "t1", false), record: undefined }, "conflict", "none"],
    ["unmanaged in source", { ...base, source: head(undefined, "v1", false), target: undefined, record: undefined }, "noop", "none"],
    ["target cannot hold it", { ...base, source: head("d1"), target: undefined, record: undefined, unfit: "name too long" }, "conflict", "none"],
    ["stale record only", { ...base, source: undefined, target: undefined, record: rec("d1") }, undefined, undefined],
  ];
  for (const [label, input, action, apply] of cases) {
    it(label, () => {
      const r = diff(input);
      expect(r?.action).toBe(action);
      expect(r?.apply).toBe(apply);
      if (r) expect(r.reason.length).toBeGreaterThan(5);
    });
  }
});
