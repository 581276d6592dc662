import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Alerts, InvalidInputError } from "../../src/index.js";
import { startReceiver } from "./receiver.js";

const KEY = "alert-hmac-key-for-tests";
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function receiver(statuses: number[] = []) {
  const r = await startReceiver(KEY, statuses);
  closers.push(r.close);
  return r;
}

describe("Alerts", () => {
  it("POSTs a signed JSON event the receiver can verify", async () => {
    const rx = await receiver();
    const alerts = Alerts.fromConfig({ webhook: rx.url, secretEnv: "ALERT_KEY" }, { ALERT_KEY: KEY });
    const d = await alerts.notify({ kind: "access.lockout", principal: "bob", until: "2030-01-01T00:00:00.000Z", failures: 5 });
    expect(d).toEqual({ delivered: true, attempts: 1, status: 200 });
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0];
    expect(got?.signatureValid).toBe(true);
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(got?.headers["x-polyvault-event"]).toBe("access.lockout");
    expect(got?.json).toMatchObject({ source: "polyvault", kind: "access.lockout", principal: "bob", until: "2030-01-01T00:00:00.000Z", failures: 5 });
    expect(typeof got?.json.id).toBe("string");
  });

  it("a receiver with another key sees an invalid signature", async () => {
    const rx = await receiver();
    await Alerts.fromConfig({ webhook: rx.url, secretEnv: "ALERT_KEY" }, { ALERT_KEY: "some-other-key" }).notify({
      kind: "sync.failure",
      route: "r",
      error: { code: "UNAVAILABLE", message: "down" },
    });
    expect(rx.received[0]?.signatureValid).toBe(false);
  });

  it("retries 500 and 429 with backoff, then delivers", async () => {
    const rx = await receiver([500, 429]);
    const alerts = new Alerts({ webhook: rx.url, key: Buffer.from(KEY), minRetryMs: 10 });
    const d = await alerts.notify({ kind: "rotation.failure", tenant: "acme", name: "db/url", error: { code: "UNAVAILABLE", message: "provider down" } });
    expect(d).toEqual({ delivered: true, attempts: 3, status: 200 });
    expect(rx.received.map((r) => r.signatureValid)).toEqual([true, true, true]);
    expect(new Set(rx.received.map((r) => r.json.id)).size).toBe(1);
  });

  it("does not retry a 400; reports it without throwing", async () => {
    const rx = await receiver([400]);
    const d = await new Alerts({ webhook: rx.url, key: Buffer.from(KEY), minRetryMs: 10 }).notify({
      kind: "secret.expiring",
      tenant: "acme",
      name: "API_KEY",
      expiresAt: "2030-01-01T00:00:00.000Z",
      daysLeft: 3,
    });
    expect(d).toEqual({ delivered: false, attempts: 1, error: "webhook answered HTTP 400" });
    expect(rx.received).toHaveLength(1);
  });

  it("gives up after its retries on an unreachable webhook, without throwing", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const d = await new Alerts({ webhook: `http://127.0.0.1:${port}/`, key: Buffer.from(KEY), retries: 2, minRetryMs: 10 }).notify({
      kind: "audit.write-failure",
      action: "write",
      error: { code: "UNAVAILABLE", message: "EISDIR" },
    });
    expect(d.delivered).toBe(false);
    expect(d.attempts).toBe(3);
  });

  it("times out a receiver that never answers, and retries", async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const { port } = server.address() as AddressInfo;
    const d = await new Alerts({ webhook: `http://127.0.0.1:${port}/`, retries: 1, minRetryMs: 10, timeoutMs: 200 }).notify({
      kind: "sync.conflict",
      route: "r",
      target: "aws",
      tenant: "acme",
      name: "x",
    });
    expect(d).toMatchObject({ delivered: false, attempts: 2 });
    server.closeAllConnections();
  });

  it("disabled alerts send nothing; a secretEnv naming an unset variable is a configuration error", async () => {
    expect(await Alerts.fromConfig(undefined, {}).notify({ kind: "access.lockout", principal: "b", until: "x", failures: 1 })).toMatchObject({
      delivered: false,
      skipped: true,
    });
    expect(() => Alerts.fromConfig({ webhook: "http://127.0.0.1:1/", secretEnv: "MISSING_KEY" }, {})).toThrow(InvalidInputError);
    expect(() => Alerts.fromConfig({ webhook: "http://127.0.0.1:1/", secretEnv: "MISSING_KEY" }, {})).toThrow(
      /alerts.secretEnv names MISSING_KEY, but that environment variable is not set/,
    );
    expect(Alerts.fromConfig({ webhook: "http://x/", violationThreshold: 7, expiryDays: 30 }, {})).toMatchObject({ violationThreshold: 7, expiryDays: 30 });
    expect(Alerts.disabled()).toMatchObject({ violationThreshold: 3, expiryDays: 14, enabled: false });
  });
});
