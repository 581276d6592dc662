/**
 * What only the project's own test Key Vault can be asked to do, on private instances with a stepped
 * clock (no waiting on the wall clock): the per-10-second budget and 429 with Retry-After, the moments
 * a delete, recovery and purge are in progress, a purge-protected vault, the loopback-only Host check,
 * and blobs from another server. The portable behaviour is in behaviour-*.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RawAnswer, errorOf, rawClient } from "./raw.js";
import { type KeyVaultServer, createKeyVaultServer } from "./server.mjs";

const credential = { getToken: async () => ({ token: "server-suite", expiresOnTimestamp: Date.now() + 3_600_000 }) };
let clock = Date.parse("2026-01-01T00:00:00Z");
const now = () => clock;
const servers: KeyVaultServer[] = [];
async function open(options: Parameters<typeof createKeyVaultServer>[0] = {}) {
  const kv = await createKeyVaultServer({ port: 0, now, transitionMs: 2000, ...options });
  servers.push(kv);
  return { kv, raw: rawClient(kv.url, credential, { ca: kv.ca }) };
}
afterAll(async () => {
  for (const s of servers) await s.close();
});
const inner = (a: RawAnswer) => [a.status, errorOf(a).innererror?.code];

describe("test Key Vault: throttling", () => {
  it("over the budget of any 10 seconds: 429 Throttled with Retry-After; refused requests do not count", async () => {
    const { kv, raw } = await open({ budget: { all: 5, create: 2 } });
    for (let i = 0; i < 2; i++) expect((await raw("PUT", `/secrets/t${i}`, { body: { value: "v" } })).status).toBe(200);
    const create = await raw("PUT", "/secrets/t9", { body: { value: "v" } });
    expect([create.status, errorOf(create).code, create.headers["retry-after"]]).toEqual([429, "Throttled", "10"]);
    for (let i = 0; i < 3; i++) expect((await raw("GET", "/secrets/t0")).status).toBe(200);
    clock += 4000;
    const over = await raw("GET", "/secrets/t0");
    expect([over.status, over.headers["retry-after"]]).toEqual([429, "6"]);
    expect(kv.throttle.inWindow()).toBe(5);
    clock += 6000;
    expect((await raw("GET", "/secrets/t0")).status).toBe(200);
    expect(kv.counts.throttled).toBe(2);
  });

  it("a request refused at the door (no token) does not spend the budget", async () => {
    const { kv, raw } = await open({ budget: { all: 1 } });
    for (let i = 0; i < 3; i++) expect((await raw("GET", "/secrets", { auth: false })).status).toBe(401);
    expect((await raw("GET", "/secrets")).status).toBe(200);
    expect(kv.throttle.inWindow()).toBe(1);
  });
});

describe("test Key Vault: soft delete in progress", () => {
  let raw: ReturnType<typeof rawClient>;
  beforeAll(async () => {
    ({ raw } = await open());
  });

  it("while deleting: gone, not yet listed as deleted, name taken (ObjectIsBeingDeleted); then deleted", async () => {
    await raw("PUT", "/secrets/d1", { body: { value: "v" } });
    expect((await raw("DELETE", "/secrets/d1")).status).toBe(200);
    expect((await raw("GET", "/secrets/d1")).status).toBe(404);
    expect((await raw("GET", "/deletedsecrets/d1")).status).toBe(404);
    expect(inner(await raw("PUT", "/secrets/d1", { body: { value: "w" } }))).toEqual([409, "ObjectIsBeingDeleted"]);
    expect(inner(await raw("DELETE", "/deletedsecrets/d1"))).toEqual([409, "ObjectIsBeingDeleted"]);
    clock += 2000;
    expect((await raw("GET", "/deletedsecrets/d1")).status).toBe(200);
    expect(inner(await raw("PUT", "/secrets/d1", { body: { value: "w" } }))).toEqual([409, "ObjectIsDeletedButRecoverable"]);
  });

  it("while recovering: not yet readable, name taken (ObjectIsBeingRecovered); then back with its value", async () => {
    expect((await raw("POST", "/deletedsecrets/d1/recover")).status).toBe(200);
    expect((await raw("GET", "/secrets/d1")).status).toBe(404);
    expect(inner(await raw("PUT", "/secrets/d1", { body: { value: "w" } }))).toEqual([409, "ObjectIsBeingRecovered"]);
    clock += 2000;
    const back = await raw("GET", "/secrets/d1");
    expect([back.status, (back.json as { value: string }).value]).toEqual([200, "v"]);
  });

  it("while purging: no longer listed as deleted, name still taken; then free", async () => {
    await raw("DELETE", "/secrets/d1");
    clock += 2000;
    expect((await raw("DELETE", "/deletedsecrets/d1")).status).toBe(204);
    expect((await raw("GET", "/deletedsecrets/d1")).status).toBe(404);
    expect(inner(await raw("PUT", "/secrets/d1", { body: { value: "w" } }))).toEqual([409, "ObjectIsBeingDeleted"]);
    clock += 2000;
    expect((await raw("PUT", "/secrets/d1", { body: { value: "w" } })).status).toBe(200);
  });
});

describe("test Key Vault: vault settings and refusals", () => {
  it("a purge-protected vault (recovery level Recoverable) refuses purge with 403 and keeps the secret", async () => {
    const { kv, raw } = await open({ purgeProtection: true, transitionMs: 0 });
    expect(kv.vault.recoveryLevel).toBe("Recoverable");
    await raw("PUT", "/secrets/p1", { body: { value: "v" } });
    await raw("DELETE", "/secrets/p1");
    const a = await raw("DELETE", "/deletedsecrets/p1");
    expect([a.status, errorOf(a).code]).toEqual([403, "Forbidden"]);
    expect(errorOf(a).message).toMatch(/purge protection is enabled/);
    expect((await raw("GET", "/deletedsecrets/p1")).status).toBe(200);
  });

  it("fewer than 90 recoverable days is a Customized recovery level, reported on every secret", async () => {
    const { raw } = await open({ recoverableDays: 7 });
    const a = await raw("PUT", "/secrets/c1", { body: { value: "v" } });
    expect((a.json as { attributes: Record<string, unknown> }).attributes).toMatchObject({
      recoveryLevel: "CustomizedRecoverable+Purgeable",
      recoverableDays: 7,
    });
  });

  it("answers only to loopback Host names, and refuses another server's backup blob", async () => {
    const one = await open({ transitionMs: 0 });
    const two = await open({ transitionMs: 0 });
    expect((await one.raw("GET", "/secrets", { host: "vault.example.com" })).status).toBe(400);
    await one.raw("PUT", "/secrets/b1", { body: { value: "v" } });
    const blob = (await one.raw("POST", "/secrets/b1/backup")).json as { value: string };
    const a = await two.raw("POST", "/secrets/restore", { body: blob });
    expect([a.status, errorOf(a).code]).toEqual([400, "BadParameter"]);
    expect((await two.raw("GET", "/secrets/b1")).status).toBe(404);
  });
});
