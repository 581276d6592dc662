/**
 * Access control end to end, each CLI call a new process (as a user runs it): a reader of tenant a,
 * denials, lockout that persists across processes and expires, every denial audited, signed alerts to a
 * real webhook receiver, and no value anywhere it must not be.
 */
import { spawn } from "node:child_process";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { type AddressInfo, type Socket, createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, sandbox } from "../../../test/harness/cli.js";

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

/** A receiver for signed alerts on loopback, recording what it got. */
async function receiver(): Promise<{ url: string; hooks: Hook[]; close(): Promise<void> }> {
  const hooks: Hook[] = [];
  const server: Server = createServer((req, res) => {
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
  return { url: `http://127.0.0.1:${port}/hook`, hooks, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function configWith(webhook: string, lockSeconds: number): string {
  return `providers:
  local: { type: file }
access:
  principals:
    root:    { tokenSha256: "${sha(TOKENS.root)}", roles: [{ role: admin, tenants: ["*"] }] }
    reader:  { tokenSha256: "${sha(TOKENS.reader)}", roles: [{ role: reader, tenants: [a] }] }
    auditor: { tokenSha256: "${sha(TOKENS.auditor)}", roles: [{ role: auditor, tenants: ["*"] }] }
  lockout: { maxFailures: 5, windowSeconds: 300, lockSeconds: ${lockSeconds} }
alerts: { webhook: "${webhook}", secretEnv: ALERT_KEY, violationThreshold: 3 }
`;
}

/** An initialised sandbox with the access configuration above (no secrets yet). */
function accessSandbox(webhook: string, lockSeconds: number) {
  const sb = sandbox();
  expect(cli(sb, ["init"]).code).toBe(0);
  writeFileSync(join(sb.cwd, "polyvault.yaml"), configWith(webhook, lockSeconds));
  return sb;
}

const DENIALS = [
  { args: ["secrets", "get", "x", "--tenant", "b"], msg: "no role of principal reader grants read in tenant b" },
  { args: ["secrets", "set", "y", "--tenant", "a", "--value-stdin"], msg: "no role of principal reader grants write in tenant a" },
  { args: ["secrets", "rotate", "x", "--tenant", "a", "--generate"], msg: "no role of principal reader grants rotate in tenant a" },
  { args: ["secrets", "delete", "x", "--tenant", "a"], msg: "no role of principal reader grants delete in tenant a" },
];

describe("access control through the CLI", () => {
  let sb: ReturnType<typeof sandbox>;
  let hook: Awaited<ReturnType<typeof receiver>>;
  const outputs: string[] = [];
  const run = async (args: string[], token?: string, input?: string) => {
    const r = await pv(sb, args, token, input);
    outputs.push(r.out, r.stderr);
    return r;
  };
  /** What the scenario below observed; every test reads it, none depends on another test having run. */
  const seen: Record<string, { code: number; out: string; stderr: string }> = {};

  // The scenario, once, as a user would run it: unauthenticated calls, a reader's reads and denials,
  // the fifth denial locking it out, and a locked-out read. The tests check what it left behind.
  beforeAll(async () => {
    hook = await receiver();
    sb = accessSandbox(hook.url, 600);
    expect((await run(["secrets", "set", "x", "--tenant", "a", "--value-stdin"], TOKENS.root, CANARY_A)).code).toBe(0);
    expect((await run(["secrets", "set", "x", "--tenant", "b", "--value-stdin"], TOKENS.root, CANARY_B)).code).toBe(0);
    seen.none = await run(["secrets", "get", "x", "--tenant", "a"]);
    seen.wrong = await run(["secrets", "get", "x", "--tenant", "a"], "not-a-token");
    seen.ok = await run(["secrets", "get", "x", "--tenant", "a"], TOKENS.reader);
    for (const [i, d] of DENIALS.entries()) seen[`denial${i}`] = await run(d.args, TOKENS.reader, "new-value");
    seen.fifth = await run(["secrets", "list", "--tenant", "b"], TOKENS.reader);
    seen.locked = await run(["secrets", "get", "x", "--tenant", "a"], TOKENS.reader);
  }, 120_000);
  afterAll(() => hook?.close());

  it("no token, or an unknown one: exit 4 UNAUTHORIZED, nothing read", () => {
    expect(seen.none).toMatchObject({ code: 4, out: "", stderr: "polyvault: UNAUTHORIZED: access control is on: set POLYVAULT_TOKEN to your token\n" });
    expect(seen.wrong).toMatchObject({
      code: 4,
      out: "",
      stderr: "polyvault: UNAUTHORIZED: POLYVAULT_TOKEN does not match any principal in the access configuration\n",
    });
  });

  it("a reader of tenant a reads a, but cannot read b or write in a (exit 4); the 5th denial locks it out of everything", async () => {
    expect(seen.ok).toMatchObject({ code: 0, out: CANARY_A });
    for (const [i, d] of DENIALS.entries()) {
      const r = seen[`denial${i}`];
      expect(r?.code, d.args.join(" ")).toBe(4);
      expect(r?.stderr).toBe(`polyvault: ACCESS_DENIED: ${d.msg}\n`);
      expect(r?.out).not.toContain(CANARY_B);
    }
    expect(seen.fifth?.code).toBe(4);
    expect(seen.fifth?.stderr).toMatch(
      /^polyvault: ACCESS_DENIED: no role of principal reader grants list in tenant b; after 5 denied requests principal reader is locked out until \d{4}-\d\d-\d\dT[\d:.]+Z\n$/,
    );
    expect(seen.locked?.code).toBe(4);
    expect(seen.locked?.stderr).toMatch(/^polyvault: ACCESS_DENIED: principal reader is locked out until .*Z after repeated denied requests\n$/);
    expect(seen.locked?.out).toBe("");
    // Others are not affected; the secret was never changed by the refused requests.
    const root = await run(["secrets", "versions", "x", "--tenant", "a", "--json"], TOKENS.root);
    expect(JSON.parse(root.out).versions).toHaveLength(1);
    expect((await run(["secrets", "get", "y", "--tenant", "a"], TOKENS.root)).code).toBe(3);
  });

  it("the webhook received correctly signed alerts: violations at 3, lockout at 5", () => {
    expect(hook.hooks.length).toBeGreaterThanOrEqual(2);
    expect(hook.hooks.every((h) => h.valid)).toBe(true);
    const reader = hook.hooks.filter((h) => h.json.principal === "reader").map((h) => [h.json.kind, h.json.failures]);
    expect(reader).toEqual([
      ["access.violations", 3],
      ["access.lockout", 5],
    ]);
  });

  it("every denial is audited; an auditor exports and verifies; a reader may not", async () => {
    const exp = await run(["audit", "export", "--format", "json"], TOKENS.auditor);
    expect(exp.code, exp.stderr).toBe(0);
    const records = JSON.parse(exp.out) as Array<Record<string, string>>;
    const denied = records.filter((r) => r.outcome === "denied" && r.actor === "reader").map((r) => [r.actor, r.tenant, r.action, r.reason]);
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
    ]);
    const ndjson = await run(["audit", "export", "--since", "1h"], TOKENS.auditor);
    expect(ndjson.out.trim().split("\n").length).toBe(records.length + 2); // + this export's own "started" and the previous export's "ok"
    const refused = await run(["audit", "export"], TOKENS.reader);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^polyvault: ACCESS_DENIED: /);
    expect(refused.out).toBe("");
    const verify = await run(["audit", "verify", "--json"], TOKENS.auditor);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.out)).toMatchObject({ ok: true, unsignedTail: 0 });
  });

  it("no value in audit.log, the access state, any CLI output but the reads', or any webhook body", () => {
    for (const canary of [CANARY_A, CANARY_B]) {
      expect(readFileSync(join(sb.home, "audit.log"), "utf8")).not.toContain(canary);
      expect(readFileSync(join(sb.home, "access-state.json"), "utf8")).not.toContain(canary);
      for (const h of hook.hooks) expect(h.body).not.toContain(canary);
    }
    expect(outputs.filter((o) => o.includes(CANARY_B))).toEqual([]);
    expect(outputs.filter((o) => o === CANARY_A).length).toBeGreaterThanOrEqual(1);
    expect(outputs.filter((o) => o.includes(CANARY_A) && o !== CANARY_A)).toEqual([]);
  });
});

describe("a lockout ends at the time it names", () => {
  it("after the 'until' of the lockout message, the principal is let in again", async () => {
    const hook = await receiver();
    try {
      const sb = accessSandbox(hook.url, 2);
      expect((await pv(sb, ["secrets", "set", "x", "--tenant", "a", "--value-stdin"], TOKENS.root, CANARY_A)).code).toBe(0);
      for (const d of DENIALS) expect((await pv(sb, d.args, TOKENS.reader, "v")).code).toBe(4);
      const fifth = await pv(sb, ["secrets", "list", "--tenant", "b"], TOKENS.reader);
      const until = Date.parse(/locked out until (\S+Z)/.exec(fifth.stderr)?.[1] ?? "");
      expect(Number.isFinite(until), fifth.stderr).toBe(true);
      // Wait for the event the message names (not a fixed delay that must outlast a process start).
      while (Date.now() <= until + 50) await new Promise((r) => setTimeout(r, Math.max(10, until + 60 - Date.now())));
      const after = await pv(sb, ["secrets", "get", "x", "--tenant", "a"], TOKENS.reader);
      expect(after.code, after.stderr).toBe(0);
      expect(after.out).toBe(CANARY_A);
    } finally {
      await hook.close();
    }
  }, 120_000);
});

describe("an alert webhook that is down never changes an operation's outcome", () => {
  it("refused and silent webhooks: the same exit codes and errors as with a working one", async () => {
    const live = await receiver();
    const silentSockets: Socket[] = [];
    const silent = createNetServer((s) => silentSockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const refusedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const hooks = {
      working: live.url,
      refused: `http://127.0.0.1:${refusedPort}/hook`,
      silent: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`,
    };
    try {
      const outcomes: Record<string, Array<[number, string]>> = {};
      for (const [label, url] of Object.entries(hooks)) {
        const sb = accessSandbox(url, 600);
        const runs: Array<[number, string]> = [];
        const step = async (args: string[], token: string, input?: string) => {
          const r = await pv(sb, args, token, input);
          runs.push([
            r.code,
            r.stderr
              .split("\n")
              .filter((l) => l.startsWith("polyvault: "))
              .join("\n"),
          ]);
        };
        await step(["secrets", "set", "x", "--tenant", "a", "--value-stdin"], TOKENS.root, CANARY_A);
        for (const d of DENIALS) await step(d.args, TOKENS.reader, "v"); // the 3rd sends access.violations
        await step(["secrets", "list", "--tenant", "b"], TOKENS.reader); // the 5th sends access.lockout
        await step(["secrets", "get", "x", "--tenant", "a"], TOKENS.root);
        outcomes[label] = runs.map(([c, e]) => [c, e.replace(/until \S+Z/, "until <t>")]);
      }
      expect(live.hooks.map((h) => h.json.kind)).toEqual(["access.violations", "access.lockout"]);
      expect(outcomes.refused).toEqual(outcomes.working);
      expect(outcomes.silent).toEqual(outcomes.working);
      expect(outcomes.working?.map(([c]) => c)).toEqual([0, 4, 4, 4, 4, 4, 0]);
    } finally {
      for (const s of silentSockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
      await live.close();
    }
  }, 300_000);
});
