import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AccessDeniedError,
  type Operation,
  SecretValue,
  Security,
  UnauthorizedError,
  parseTenantId,
  runSteps,
  tokenSha256,
  verifyAuditLog,
} from "../../src/index.js";
import { lines, tempDir } from "../audit/helpers.js";
import { startReceiver } from "../alerts/receiver.js";

const KEY = "hmac-key-security-test";
const CANARY = "CANARY-c0ffee-VALUE";
const acme = parseTenantId("acme");
const globex = parseTenantId("globex");
const op = (tenant: typeof acme, action: Operation["action"], name?: string): Operation => ({ tenant, action, name, actor: "ignored-env-actor" });
const secret = (name: string) =>
  new SecretValue({ tenant: "acme", name, version: 1, servedBy: "local", stale: false, updatedAt: undefined, labels: {}, keyVersion: 1 }, Buffer.from(CANARY));
const access = {
  principals: {
    bob: { tokenSha256: tokenSha256("bob-token"), roles: [{ role: "reader" as const, tenants: ["acme"], secrets: ["db/*"] }] },
    root: { tokenSha256: tokenSha256("root-token"), roles: [{ role: "admin" as const, tenants: ["*"] }] },
  },
  lockout: { maxFailures: 5, windowSeconds: 300, lockSeconds: 60 },
};

describe("Security: authentication, the access step, lockout, audit and alerts together", () => {
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let now = Date.parse("2030-06-01T12:00:00Z");
  let dir: string;
  let sec: Security;
  beforeAll(async () => {
    rx = await startReceiver(KEY);
    dir = tempDir();
    sec = new Security({ dataDir: dir, env: { ALERT_KEY: KEY }, access, alerts: { webhook: rx.url, secretEnv: "ALERT_KEY" }, now: () => new Date(now) });
  });
  afterAll(async () => {
    await sec.close();
    await rx.close();
  });
  const records = () =>
    lines(dir)
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === "record");

  it("no token or an unknown token: UnauthorizedError, audited, counted; a known token names its principal", async () => {
    await expect(sec.authenticate(undefined)).rejects.toThrow(new UnauthorizedError("access control is on: set POLYVAULT_TOKEN to your token"));
    await expect(sec.authenticate("nope")).rejects.toThrow(/POLYVAULT_TOKEN does not match any principal/);
    expect(await sec.authenticate("bob-token")).toBe("bob");
    expect(records().map((r) => [r.actor, r.action, r.outcome, r.reason])).toEqual([
      ["(unauthenticated)", "authenticate", "UNAUTHORIZED", "no token"],
      ["(unauthenticated)", "authenticate", "UNAUTHORIZED", "unknown token"],
    ]);
    expect(sec.failedAccessAttempts("*")).toBe(2);
    await expect(sec.authenticate("still-wrong")).rejects.toThrow(UnauthorizedError);
    expect(rx.received.map((r) => [r.json.kind, r.json.principal, r.signatureValid])).toEqual([["access.violations", "(unauthenticated)", true]]);
  });

  it("a reader reads what its globs allow, recorded under the principal (not the env actor)", async () => {
    const steps = sec.steps("bob");
    expect(steps.map((s) => s.name)).toEqual(["access", "audit"]);
    const v = await runSteps(steps, op(acme, "read", "db/url"), async () => secret("db/url"));
    v.wipe();
    const listed = await runSteps(steps, op(acme, "list"), async () => [{ name: "db/url" }, { name: "API_KEY" }, { name: "db/x/y" }]);
    expect(listed).toEqual([{ name: "db/url" }]);
    expect(
      records()
        .slice(-2)
        .map((r) => [r.actor, r.action, r.tenant, r.name, r.outcome]),
    ).toEqual([
      ["bob", "read", "acme", "db/url", "ok"],
      ["bob", "list", "acme", undefined, "ok"],
    ]);
  });

  it("denials: other tenant, write, secret outside the globs — refused before the body, audited, counted, alerted; 5 lock the principal", async () => {
    const steps = sec.steps("bob");
    const body = vi.fn(async () => secret("x"));
    const attempts: Array<[typeof acme, Operation["action"], string]> = [
      [globex, "read", "db/url"],
      [acme, "write", "db/url"],
      [acme, "read", "API_KEY"],
      [acme, "delete", "db/url"],
    ];
    for (const [t, a, n] of attempts) await expect(runSteps(steps, op(t, a, n), body)).rejects.toThrow(AccessDeniedError);
    const fifth = await runSteps(steps, op(acme, "rotate", "db/url"), body).catch((e: unknown) => e as Error);
    expect(fifth).toBeInstanceOf(AccessDeniedError);
    expect((fifth as Error).message).toBe(
      `no role of principal bob grants rotate in tenant acme; after 5 denied requests principal bob is locked out until ${new Date(now + 60_000).toISOString()}`,
    );
    expect(body).not.toHaveBeenCalled();
    expect(sec.failedAccessAttempts("acme")).toBe(4);
    expect(sec.failedAccessAttempts("globex")).toBe(1);
    const denied = records().filter((r) => r.outcome === "denied");
    expect(denied.map((r) => [r.tenant, r.action, r.name])).toEqual(attempts.concat([[acme, "rotate", "db/url"]]).map(([t, a, n]) => [t, a, n]));
    expect(denied[0]?.reason).toBe("no role of principal bob grants read in tenant globex");
    expect(records().at(-1)).toMatchObject({ actor: "bob", action: "lockout", outcome: "ok" });
    const kinds = rx.received.map((r) => [r.json.kind, r.json.principal, r.signatureValid]);
    expect(kinds.slice(1)).toEqual([
      ["access.violations", "bob", true],
      ["access.lockout", "bob", true],
    ]);
  });

  it("while locked even an allowed read is refused (and audited); after lockSeconds it works again", async () => {
    const steps = sec.steps("bob");
    const err = await runSteps(steps, op(acme, "read", "db/url"), async () => secret("db/url")).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toBe(`principal bob is locked out until ${new Date(now + 60_000).toISOString()} after repeated denied requests`);
    expect(records().at(-1)).toMatchObject({ actor: "bob", action: "read", outcome: "denied", reason: "locked out" });
    expect(await sec.authenticate("root-token")).toBe("root");
    (await runSteps(sec.steps("root"), op(acme, "read", "db/url"), async () => secret("db/url"))).wipe();
    now += 61_000;
    (await runSteps(steps, op(acme, "read", "db/url"), async () => secret("db/url"))).wipe();
  });

  it("authorize() covers commands outside SecretManager; allows() filters without side effects", async () => {
    await sec.authorize("root", "*", "audit.verify");
    await expect(sec.authorize("bob", "*", "audit.export")).rejects.toThrow(/no role of principal bob grants audit.export outside a tenant/);
    expect(sec.allows("root", "acme", "audit.export")).toBe(true);
    expect(sec.allows("bob", "acme", "audit.export")).toBe(false);
    expect(Security.of(sec.steps("root"))).toBe(sec);
    await Security.authorizeSteps(sec.steps("root"), "*", "keys");
    await expect(Security.authorizeSteps(sec.steps("bob"), "*", "keys")).rejects.toThrow(/no role of principal bob grants keys outside a tenant/);
    await Security.authorizeSteps([], "*", "keys");
  });

  it("no value in the audit log, the access state or any webhook body; the log verifies", async () => {
    await sec.audit.checkpoint();
    expect(readFileSync(join(dir, "audit.log"), "utf8")).not.toContain(CANARY);
    expect(readFileSync(join(dir, "access-state.json"), "utf8")).not.toContain(CANARY);
    for (const r of rx.received) expect(r.body).not.toContain(CANARY);
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true });
  });
});

describe("Security without access control", () => {
  it("the local operator is admin: one audit step, actor from the operation", async () => {
    const dir = tempDir();
    const sec = new Security({ dataDir: dir, env: {} });
    expect(sec.enforcing).toBe(false);
    expect(await sec.authenticate(undefined, "ops-person")).toBe("ops-person");
    const steps = sec.steps(undefined);
    expect(steps.map((s) => s.name)).toEqual(["audit"]);
    await runSteps(steps, { tenant: acme, action: "delete", name: "x", actor: "ops-person" }, async () => undefined);
    await sec.authorize("anyone", "*", "keys");
    await sec.close();
    expect(
      lines(dir)
        .map((l) => JSON.parse(l))
        .filter((e) => e.type === "record")
        .map((r) => r.actor),
    ).toEqual(["ops-person", "ops-person"]);
  });
});

describe("Security when the audit log cannot be written", () => {
  it("refuses the change before it runs and sends a signed audit.write-failure alert", async () => {
    const rx = await startReceiver(KEY);
    try {
      const dir = tempDir();
      mkdirSync(join(dir, "audit.log"));
      const sec = new Security({ dataDir: dir, env: { ALERT_KEY: KEY }, access, alerts: { webhook: rx.url, secretEnv: "ALERT_KEY" } });
      const body = vi.fn(async () => ({ version: 1 }));
      await expect(runSteps(sec.steps("root"), op(acme, "write", "db/url"), body)).rejects.toThrow(/cannot be written \(EISDIR\); the operation is refused/);
      expect(body).not.toHaveBeenCalled();
      expect(rx.received.map((r) => [r.json.kind, r.json.action, r.json.tenant, r.signatureValid])).toEqual([["audit.write-failure", "write", "acme", true]]);
      expect((rx.received[0]?.json.error as { code: string } | undefined)?.code).toBe("UNAVAILABLE");
    } finally {
      await rx.close();
    }
  });
});
