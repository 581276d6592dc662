/**
 * Access control end to end, each CLI call a new process (as a user runs it): a reader of tenant a,
 * denials, lockout that persists across processes and expires, every denial audited, signed alerts to a
 * real webhook receiver, and no value anywhere it must not be.
 */
import { spawn } from "node:child_process";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, sandbox } from "./helpers.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const KEY = "cli-alert-hmac-key";
const CANARY_A = "CANARY-A-7f3e9d2c";
const CANARY_B = "CANARY-B-1a2b3c4d";
const TOKENS = { root: "root-token-0123456789", reader: "reader-token-abcdef", auditor: "auditor-token-xyz" };

interface Hook {
  body: string;
  json: Record<string, unknown>;
  valid: boolean;
}

/** Spawns the CLI without blocking this process (the webhook receiver runs here). */
function pv(sb: ReturnType<typeof sandbox>, args: string[], token?: string, input = ""): Promise<{ code: number; out: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...sb.env, ALERT_KEY: KEY, ...(token === undefined ? {} : { POLYVAULT_TOKEN: token }) };
    const c = spawn(process.execPath, [BIN, ...args], { cwd: sb.cwd, env });
    let out = "";
    let stderr = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    c.on("error", reject);
    c.on("close", (code) => resolve({ code: code ?? -1, out, stderr }));
    c.stdin.end(input);
  });
}

describe("access control through the CLI", () => {
  const sb = sandbox();
  const hooks: Hook[] = [];
  let server: Server;
  const outputs: string[] = [];
  const run = async (args: string[], token?: string, input?: string) => {
    const r = await pv(sb, args, token, input);
    outputs.push(r.out, r.stderr);
    return r;
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const want = `sha256=${createHmac("sha256", KEY).update(`${req.headers["x-polyvault-timestamp"]}.${body}`).digest("hex")}`;
        const got = String(req.headers["x-polyvault-signature"] ?? "");
        hooks.push({ body, json: JSON.parse(body), valid: got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want)) });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    expect(cli(sb, ["init"]).code).toBe(0);
    writeFileSync(
      join(sb.cwd, "polyvault.yaml"),
      `providers:
  local: { type: file }
access:
  principals:
    root:    { tokenSha256: "${sha(TOKENS.root)}", roles: [{ role: admin, tenants: ["*"] }] }
    reader:  { tokenSha256: "${sha(TOKENS.reader)}", roles: [{ role: reader, tenants: [a] }] }
    auditor: { tokenSha256: "${sha(TOKENS.auditor)}", roles: [{ role: auditor, tenants: ["*"] }] }
  lockout: { maxFailures: 5, windowSeconds: 300, lockSeconds: 4 }
alerts: { webhook: "http://127.0.0.1:${port}/hook", secretEnv: ALERT_KEY, violationThreshold: 3 }
`,
    );
    expect((await run(["secrets", "set", "x", "--tenant", "a", "--value-stdin"], TOKENS.root, CANARY_A)).code).toBe(0);
    expect((await run(["secrets", "set", "x", "--tenant", "b", "--value-stdin"], TOKENS.root, CANARY_B)).code).toBe(0);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("no token, or an unknown one: exit 4 UNAUTHORIZED, nothing read", async () => {
    const none = await run(["secrets", "get", "x", "--tenant", "a"]);
    expect(none.code).toBe(4);
    expect(none.stderr).toBe("polyvault: UNAUTHORIZED: access control is on: set POLYVAULT_TOKEN to your token\n");
    const wrong = await run(["secrets", "get", "x", "--tenant", "a"], "not-a-token");
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toBe("polyvault: UNAUTHORIZED: POLYVAULT_TOKEN does not match any principal in the access configuration\n");
    expect(none.out + wrong.out).toBe("");
  });

  it("a reader of tenant a reads a, but cannot read b or write in a (exit 4); 5 denials lock it out of everything until the lock expires", async () => {
    const ok = await run(["secrets", "get", "x", "--tenant", "a"], TOKENS.reader);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(CANARY_A);
    const denials = [
      { args: ["secrets", "get", "x", "--tenant", "b"], msg: "no role of principal reader grants read in tenant b" },
      { args: ["secrets", "set", "y", "--tenant", "a", "--value-stdin"], msg: "no role of principal reader grants write in tenant a" },
      { args: ["secrets", "rotate", "x", "--tenant", "a", "--generate"], msg: "no role of principal reader grants rotate in tenant a" },
      { args: ["secrets", "delete", "x", "--tenant", "a"], msg: "no role of principal reader grants delete in tenant a" },
    ];
    for (const d of denials) {
      const r = await run(d.args, TOKENS.reader, "new-value");
      expect(r.code, d.args.join(" ")).toBe(4);
      expect(r.stderr).toBe(`polyvault: ACCESS_DENIED: ${d.msg}\n`);
      expect(r.out).not.toContain(CANARY_B);
    }
    const fifth = await run(["secrets", "list", "--tenant", "b"], TOKENS.reader);
    expect(fifth.code).toBe(4);
    expect(fifth.stderr).toMatch(
      /^polyvault: ACCESS_DENIED: no role of principal reader grants list in tenant b; after 5 denied requests principal reader is locked out until \d{4}-\d\d-\d\dT[\d:.]+Z\n$/,
    );
    const locked = await run(["secrets", "get", "x", "--tenant", "a"], TOKENS.reader);
    expect(locked.code).toBe(4);
    expect(locked.stderr).toMatch(/^polyvault: ACCESS_DENIED: principal reader is locked out until .*Z after repeated denied requests\n$/);
    expect(locked.out).toBe("");
    // Others are not affected; the secret was never changed by the refused requests.
    const root = await run(["secrets", "versions", "x", "--tenant", "a", "--json"], TOKENS.root);
    expect(JSON.parse(root.out).versions).toHaveLength(1);
    expect((await run(["secrets", "get", "y", "--tenant", "a"], TOKENS.root)).code).toBe(3);
    await new Promise((r) => setTimeout(r, 4_200));
    const after = await run(["secrets", "get", "x", "--tenant", "a"], TOKENS.reader);
    expect(after.code, after.stderr).toBe(0);
    expect(after.out).toBe(CANARY_A);
  }, 60_000);

  it("the webhook received correctly signed alerts: violations at 3, lockout at 5", () => {
    expect(hooks.length).toBeGreaterThanOrEqual(2);
    expect(hooks.every((h) => h.valid)).toBe(true);
    const reader = hooks.filter((h) => h.json.principal === "reader").map((h) => [h.json.kind, h.json.failures]);
    expect(reader).toEqual([
      ["access.violations", 3],
      ["access.lockout", 5],
    ]);
  });

  it("every denial is audited; an auditor exports and verifies; a reader may not", async () => {
    const exp = await run(["audit", "export", "--format", "json"], TOKENS.auditor);
    expect(exp.code, exp.stderr).toBe(0);
    const records = JSON.parse(exp.out) as Array<Record<string, string>>;
    const denied = records.filter((r) => r.outcome === "denied").map((r) => [r.actor, r.tenant, r.action, r.reason]);
    expect(denied).toEqual([
      ["reader", "b", "read", "no role of principal reader grants read in tenant b"],
      ["reader", "a", "write", "no role of principal reader grants write in tenant a"],
      ["reader", "a", "rotate", "no role of principal reader grants rotate in tenant a"],
      ["reader", "a", "delete", "no role of principal reader grants delete in tenant a"],
      ["reader", "b", "list", "no role of principal reader grants list in tenant b"],
      ["reader", "a", "read", "locked out"],
    ]);
    expect(records.filter((r) => r.action === "lockout").map((r) => r.actor)).toEqual(["reader"]);
    expect(records.filter((r) => r.action === "authenticate").map((r) => [r.actor, r.outcome, r.reason])).toEqual([
      ["(unauthenticated)", "UNAUTHORIZED", "no token"],
      ["(unauthenticated)", "UNAUTHORIZED", "unknown token"],
    ]);
    expect(records.filter((r) => r.actor === "reader" && r.outcome === "ok" && r.action !== "lockout").map((r) => [r.action, r.tenant])).toEqual([
      ["read", "a"],
      ["read", "a"],
    ]);
    const ndjson = await run(["audit", "export", "--since", "1h"], TOKENS.auditor);
    expect(ndjson.out.trim().split("\n").length).toBe(records.length + 2); // + this export's own "started" and the previous export's "ok"
    const refused = await run(["audit", "export"], TOKENS.reader);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe(
      'polyvault: ACCESS_DENIED: no role of principal reader grants audit.export outside a tenant (needs a grant on tenants: ["*"])\n',
    );
    expect(refused.out).toBe("");
    const verify = await run(["audit", "verify", "--json"], TOKENS.auditor);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.out)).toMatchObject({ ok: true, unsignedTail: 0 });
  });

  it("no value in audit.log, the access state, any CLI output but the reads', or any webhook body", () => {
    for (const canary of [CANARY_A, CANARY_B]) {
      expect(readFileSync(join(sb.home, "audit.log"), "utf8")).not.toContain(canary);
      expect(readFileSync(join(sb.home, "access-state.json"), "utf8")).not.toContain(canary);
      for (const h of hooks) expect(h.body).not.toContain(canary);
    }
    expect(outputs.filter((o) => o.includes(CANARY_B))).toEqual([]);
    expect(outputs.filter((o) => o.includes(CANARY_A))).toEqual([CANARY_A, CANARY_A]);
  });
});
