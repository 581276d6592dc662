/**
 * Issue 15.1, "audit every header field": stored metadata may make something fail or look older, never
 * make a read return other bytes, a check be skipped, or a rotation look done.
 */
import { describe, expect, it } from "vitest";
import { RotationPolicies, type SecretHead, assessRotation, lastRotationTime } from "../../src/index.js";
import { setup } from "../rotation/support.js";

const head = (updatedAt: Date, metadata: Record<string, string>): SecretHead => ({ name: "a", version: "1", updatedAt, managed: true, metadata });

describe("unauthenticated metadata", () => {
  it("pv-created cannot make a secret look rotated later than the provider wrote it", () => {
    const written = new Date("2030-01-01T00:00:00Z");
    const now = new Date("2031-06-01T00:00:00Z");
    const forged = head(written, { "pv-rev": "1", "pv-created": "2031-05-31T00:00:00.000Z" });
    expect(lastRotationTime(forged)).toEqual(written);
    expect(assessRotation("acme", forged, new RotationPolicies(), now).status).toBe("overdue");
    expect(lastRotationTime(head(written, { "pv-created": "2029-01-01T00:00:00.000Z" }))?.toISOString()).toBe("2029-01-01T00:00:00.000Z");
  });

  it("pv-kv, pv-digest, pv-size and pv-labels edited in storage do not change the value or the key version a read reports", async () => {
    const s = await setup();
    await s.manager.set("db", "real", { labels: { team: "core" } });
    const cur = await s.provider.get(s.tenant, "db");
    s.provider.tamper("acme", "db", cur.value, { "pv-kv": "99", "pv-digest": "hmac-sha256:00", "pv-size": "1", "pv-enc": "native" });
    const v = await s.manager.get("db");
    expect([v.text(), v.keyVersion, v.version]).toEqual(["real", 1, 1]);
  });
});
