/**
 * The library counts too: a program that opens the runtime and uses a SecretManager (no CLI, no
 * gateway) goes through the same steps, so a sweep of names through the library raises the alert,
 * under the runtime's actor (access control off).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Security } from "@polyvault/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Runtime } from "../src/index.js";

describe("anomaly alerts through the library", () => {
  let hook: Server;
  const bodies: string[] = [];
  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => hook.close(() => r())));

  it("a sweep of 5 names by one program alerts at the 5th, not before", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-anomaly-lib-"));
    const webhook = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const anomaly = { learningHours: 0, newTenant: { enabled: false }, offHours: { enabled: false }, sweep: { minNames: 5, windowSeconds: 600 } };
    const rt = await Runtime.open({
      dataDir,
      env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") },
      config: { providers: { local: { type: "file" } }, alerts: { webhook, anomaly } },
      actor: "billing-job",
    });
    const m = await rt.manager("acme");
    for (let i = 1; i <= 4; i++) await m.set(`billing/key-${i}`, "v");
    const monitor = Security.of(rt.options.steps)?.anomaly;
    expect(monitor?.counts().get("sweep")).toBeUndefined();
    await m.set("billing/key-5", "v");
    expect(monitor?.counts().get("sweep")?.get("billing-job")).toBe(1);
    await rt.close();
    const alerts = bodies.map((b) => JSON.parse(b) as Record<string, unknown>).filter((j) => j.kind === "access.anomaly");
    expect(alerts).toEqual([expect.objectContaining({ rule: "sweep", principal: "billing-job", observed: 5, threshold: 5 })]);
    const log = readFileSync(join(dataDir, "audit.log"), "utf8");
    expect(log).toContain('"action":"anomaly.sweep"');
    expect(bodies.join("")).not.toContain("billing/");
  });
});
