/**
 * Issue 16 finding 7, against real local receivers: the webhook client followed a redirect to another
 * host with the signed body, read the answer without a bound, and took http:// and unsigned alerts
 * without a word. Now: no redirect is followed, the answer's body is not read, and `warnings` says.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Alerts } from "../../src/index.js";
import { startReceiver } from "./receiver.js";

const KEY = "alert-hmac-key-for-hardening";
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

const event = { kind: "sync.failure", route: "r", error: { code: "UNAVAILABLE", message: "down" } } as const;

describe("alert webhook hardening", () => {
  it("never follows a redirect: the signed body does not reach the other host, and the failure is not retried", async () => {
    const other = await startReceiver(KEY);
    closers.push(other.close);
    for (const status of [301, 302, 307, 308]) {
      let hits = 0;
      const url = await listen((req, res) => {
        hits++;
        req.resume();
        res.writeHead(status, { location: other.url }).end();
      });
      const d = await new Alerts({ webhook: url, key: Buffer.from(KEY), minRetryMs: 1 }).notify(event);
      expect(d).toEqual({
        delivered: false,
        attempts: 1,
        error: `webhook answered a redirect (HTTP ${status}); redirects are not followed: configure the final URL`,
      });
      expect(hits).toBe(1);
    }
    expect(other.received).toEqual([]);
  });

  it("does not read the answer's body: a receiver streaming 64 MiB is hung up on", async () => {
    let sent = 0;
    let finished = false;
    const closed = new Promise<void>((resolve) => {
      void listen((req, res) => {
        req.resume();
        res.writeHead(200, { "content-type": "application/octet-stream" });
        const chunk = Buffer.alloc(64 * 1024);
        const pump = () => {
          while (sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          finished = true;
          res.end();
        };
        res.on("close", () => resolve());
        pump();
      }).then((url) =>
        new Alerts({ webhook: url, key: Buffer.from(KEY), timeoutMs: 120_000 })
          .notify(event)
          .then((d) => expect(d).toEqual({ delivered: true, attempts: 1, status: 200 })),
      );
    });
    await closed;
    expect(finished).toBe(false);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it("warns about http:// to another host and about unsigned alerts; says nothing for https with a key", () => {
    expect(Alerts.fromConfig({ webhook: "http://alerts.example.com/hook" }, {}).warnings).toEqual([
      "alerts.webhook uses http:// to alerts.example.com: alerts and their signatures cross the network in clear (use https://)",
      "alerts.secretEnv is not set: alerts are sent unsigned, so a receiver cannot tell them from forgeries",
    ]);
    expect(Alerts.fromConfig({ webhook: "https://alerts.example.com/hook", secretEnv: "K" }, { K: "key" }).warnings).toEqual([]);
    expect(Alerts.fromConfig({ webhook: "http://127.0.0.1:9000/hook", secretEnv: "K" }, { K: "key" }).warnings).toEqual([]);
    expect(Alerts.disabled().warnings).toEqual([]);
  });
});
