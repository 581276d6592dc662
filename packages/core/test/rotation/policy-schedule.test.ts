import { describe, expect, it } from "vitest";
import { InvalidInputError, RotationPolicies, type SecretHead, assessRotation, lastRotationTime, rotationSchedule } from "../../src/index.js";
import { DAY, caught, setup } from "./support.js";

const head = (name: string, updatedAt: Date | undefined, metadata: Record<string, string> = { "pv-rev": "3" }): SecretHead => ({
  name,
  version: "3",
  updatedAt,
  managed: true,
  metadata,
});

describe("rotation policies", () => {
  it("falls back to the 90-day default with a generated value", () => {
    const p = new RotationPolicies();
    const r = p.resolve("acme", "anything");
    expect(r).toMatchObject({ source: "default", intervalDays: 90, strategy: "blue-green" });
    expect(r.command).toBeUndefined();
  });

  it("applies the first policy whose tenants and glob match; * stays in one segment, ** crosses", () => {
    const p = new RotationPolicies({
      defaultIntervalDays: 60,
      policies: [
        { tenants: ["globex"], secrets: "db/*", intervalDays: 7 },
        { secrets: "db/*", intervalDays: 30, command: ["/bin/echo", "x"], length: 40 },
        { tenants: "*", secrets: "svc/**", intervalDays: 14, command: "/usr/bin/new-key", strategy: "gradual" },
      ],
    });
    expect(p.resolve("globex", "db/url")).toMatchObject({ source: "policies[0]", intervalDays: 7 });
    expect(p.resolve("acme", "db/url")).toMatchObject({ source: "policies[1]", intervalDays: 30, command: ["/bin/echo", "x"], length: 40 });
    expect(p.resolve("acme", "db/a/b")).toMatchObject({ source: "default", intervalDays: 60 });
    expect(p.resolve("acme", "svc/a/.b")).toMatchObject({ source: "policies[2]", command: ["/usr/bin/new-key"], strategy: "gradual" });
  });

  it("refuses an empty command", async () => {
    const err = await caught(() => new RotationPolicies({ policies: [{ secrets: "*", intervalDays: 1, command: [] }] }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe("rotation.policies.0.command is empty");
  });
});

describe("rotation schedule", () => {
  const policies = new RotationPolicies({ defaultIntervalDays: 30, dueSoonDays: 5 });
  const now = new Date("2030-01-31T00:00:00Z");

  it("is ok before the due window, due inside it, overdue past the deadline", () => {
    expect(assessRotation("acme", head("a", new Date(now.getTime() - 10 * DAY)), policies, now).status).toBe("ok");
    expect(assessRotation("acme", head("a", new Date(now.getTime() - 26 * DAY)), policies, now).status).toBe("due");
    const late = assessRotation("acme", head("a", new Date(now.getTime() - 31 * DAY)), policies, now);
    expect(late).toMatchObject({ status: "overdue", revision: 3, intervalDays: 30, policy: "default" });
    expect(late.nextDueAt?.getTime()).toBe(now.getTime() - DAY);
  });

  it("treats an unknown last-rotation time as overdue (fail closed), and a pending rotation as pending", () => {
    expect(assessRotation("acme", head("a", undefined), policies, now).status).toBe("overdue");
    const pending = {
      tenant: "acme",
      name: "a",
      previousRevision: 2,
      stagedRevision: 3,
      state: "staged",
      strategy: "blue-green",
      stagedAt: now.toISOString(),
    } as const;
    expect(assessRotation("acme", head("a", new Date(0)), policies, now, pending)).toMatchObject({ status: "pending", pendingRevision: 3 });
  });

  it("prefers a restored version's original time (pv-created) over the time it was written", () => {
    const h = head("a", now, { "pv-rev": "1", "pv-created": "2029-01-01T00:00:00.000Z" });
    expect(lastRotationTime(h)?.toISOString()).toBe("2029-01-01T00:00:00.000Z");
    expect(assessRotation("acme", h, policies, now).status).toBe("overdue");
    expect(lastRotationTime(head("b", now, { "pv-created": "garbage" }))).toEqual(now);
  });

  it("lists managed secrets only, from heads, without reading a value", async () => {
    const s = await setup();
    await s.manager.set("x", "v1");
    await s.manager.set("y", "v1");
    s.provider.plantUnmanaged("acme", "foreign", Buffer.from("z"));
    s.provider.failing.add("get");
    const list = await rotationSchedule({ tenant: s.tenant, provider: s.provider, policies, now: new Date(Date.now() + 40 * DAY) });
    expect(list.map((d) => [d.name, d.status])).toEqual([
      ["x", "overdue"],
      ["y", "overdue"],
    ]);
  });
});
