/**
 * Access-anomaly alerts across CLI calls, each a new process (as a user runs them): the baseline in the
 * data dir carries the recent requests from one call to the next, so a sweep of names or a run of
 * denials spread over separate calls alerts like one inside a gateway. Alerts reach a real webhook; the
 * audit log records them; neither carries a secret name or value.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, sandbox } from "./helpers.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const TOKENS = { root: "root-token-anomaly-01", reader: "reader-token-anomaly-02" };
const CANARY = "CANARY-anomaly-5e5e5e";

describe("anomaly alerts through the CLI", () => {
  let hook: Server;
  const bodies: string[] = [];
  let sb: ReturnType<typeof sandbox>;
  /** Spawned without blocking this process, where the webhook receiver runs. */
  const pv = (args: string[], token: string, input = ""): Promise<{ code: number; out: string }> =>
    new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [BIN, ...args], { cwd: sb.cwd, env: { ...sb.env, POLYVAULT_TOKEN: token } });
      let out = "";
      c.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      c.on("error", reject);
      c.on("close", (code) => resolve({ code: code ?? -1, out }));
      c.stdin.end(input);
    });

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", () => {
        bodies.push(body);
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    sb = sandbox();
    expect(cli(sb, ["init"]).code).toBe(0);
    writeFileSync(
      join(sb.cwd, "polyvault.yaml"),
      `providers:
  local: { type: file }
access:
  principals:
    root:   { tokenSha256: "${sha(TOKENS.root)}", roles: [{ role: admin, tenants: ["*"] }] }
    reader: { tokenSha256: "${sha(TOKENS.reader)}", roles: [{ role: reader, tenants: [a] }] }
  lockout: { maxFailures: 10, windowSeconds: 300, lockSeconds: 60 }
alerts:
  webhook: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook"
  violationThreshold: 100
  anomaly:
    learningHours: 0
    newTenant: { enabled: false }
    offHours: { enabled: false }
    sweep: { minNames: 6, windowSeconds: 3600 }
    denials: { count: 3, windowSeconds: 3600 }
`,
    );
  }, 60_000);
  afterAll(() => new Promise<void>((r) => hook.close(() => r())));

  const kinds = () => bodies.map((b) => JSON.parse(b) as Record<string, unknown>).filter((j) => j.kind === "access.anomaly");

  it("a sweep of 6 names over 6 calls alerts at the 6th, not before", { timeout: 60_000 }, async () => {
    for (let i = 1; i <= 5; i++) expect((await pv(["secrets", "set", `svc/n${i}`, "--tenant", "a", "--value-stdin"], TOKENS.root, CANARY)).code).toBe(0);
    for (let i = 1; i <= 5; i++) expect((await pv(["secrets", "get", `svc/n${i}`, "--tenant", "a"], TOKENS.reader)).out).toBe(CANARY);
    expect(kinds()).toEqual([]);
    expect((await pv(["secrets", "get", "svc/n6", "--tenant", "a"], TOKENS.reader)).code).toBe(3);
    expect(kinds()).toEqual([expect.objectContaining({ rule: "sweep", principal: "reader", observed: 6, threshold: 6 })]);
  });

  it("a run of 3 denials over 3 calls alerts, audited without the name asked for", { timeout: 60_000 }, async () => {
    for (let i = 0; i < 3; i++) expect((await pv(["secrets", "get", "svc/payroll", "--tenant", "b"], TOKENS.reader)).code).toBe(4);
    expect(kinds().map((k) => k.rule)).toEqual(["sweep", "denials"]);
    const out = await pv(["audit", "export", "--format", "ndjson"], TOKENS.root);
    const records = out.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => String(r.action).startsWith("anomaly."));
    expect(records.map((r) => [r.actor, r.action, r.outcome])).toEqual([
      ["polyvault", "anomaly.baseline-reset", "ok"],
      ["reader", "anomaly.sweep", "alert"],
      ["reader", "anomaly.denials", "alert"],
    ]);
    expect(records.some((r) => r.name !== undefined)).toBe(false);
    const everything = bodies.join("\n") + readFileSync(join(sb.home, "anomaly-baseline.json"), "utf8");
    expect(everything).not.toContain("payroll");
    expect(everything).not.toContain("svc/");
    expect(everything).not.toContain(CANARY);
  });
});
