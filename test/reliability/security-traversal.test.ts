/**
 * Path traversal in every name field: secret names (positional, --secret, the keys of an imported .env),
 * tenant ids (--tenant of every command), route and provider names — on the CLI — and the tenant and
 * name segments and body fields of the HTTP API, sent both percent-encoded and raw (unnormalised).
 * Each attempt is refused as invalid input (CLI exit 2; HTTP 400, or 404 for a path no route matches),
 * and afterwards nothing in the sandbox has changed and no file appeared outside it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, run, sandbox } from "./helpers/cli.js";
import { type Gateway, startGateway } from "./helpers/serve.js";
import { FULL } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("security-traversal");
const SENTINEL = `/tmp/pv-traversal-${randomBytes(6).toString("hex")}`;
const NAMES = [
  "..",
  "../x",
  "a/../b",
  "x/../../y",
  `../../../../..${SENTINEL}`,
  "/etc/passwd",
  "a/./b",
  "./a",
  "a//b",
  "a/",
  "a/..",
  "..%2fx",
  "%2e%2e%2fx",
  "a\\..\\b",
  "~/x",
  "C:\\Windows\\x",
];
const TENANTS = ["..", "../home", "home/../other", "/tmp", ".", "Home", "home/", "%2e%2e", "home\\..\\x"];
let sb: Sandbox;
let gateway: Gateway | undefined;

/** Files and sizes below the sandbox, less the files every call appends to (audit log, state). */
function snapshot(): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      // A lock directory (audit.lock, state.lock) comes and goes with the writer holding it.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory() && /\.lock$/.test(e.name)) continue;
      if (e.isDirectory()) walk(p);
      else if (!/audit\.(log|head|config)$|state\.db|access-state|\.lock/.test(p)) out[p.slice(sb.cwd.length)] = statSync(p).size;
    }
  };
  walk(sb.cwd);
  return out;
}

/** Every (field, argv) pair for one payload: `name` fields take a secret name, `tenant` fields a tenant id. */
function nameFields(n: string): Array<[string, string[]]> {
  return [
    ["secrets set NAME", ["secrets", "set", n, "--tenant", "home", "--value-stdin"]],
    ["secrets get NAME", ["secrets", "get", n, "--tenant", "home"]],
    ["secrets versions NAME", ["secrets", "versions", n, "--tenant", "home"]],
    ["secrets delete NAME", ["secrets", "delete", n, "--tenant", "home", "--purge"]],
    ["secrets rotate NAME", ["secrets", "rotate", n, "--tenant", "home", "--generate"]],
    ["adopt NAME", ["adopt", "--provider", "local", "--tenant", "home", n, "--confirm"]],
    ["rotation run --secret", ["rotation", "run", "--tenant", "home", "--secret", n, "--force"]],
    ["sync plan --route", ["sync", "plan", "--route", n]],
    ["migrate --to", ["migrate", "--tenant", "home", "--from", "local", "--to", n]],
  ];
}
function tenantFields(t: string): Array<[string, string[]]> {
  return [
    ["secrets set", ["secrets", "set", "s", "--tenant", t, "--value-stdin"]],
    ["secrets get", ["secrets", "get", "s", "--tenant", t]],
    ["secrets list", ["secrets", "list", "--tenant", t]],
    ["secrets delete", ["secrets", "delete", "s", "--tenant", t]],
    ["env import", ["env", "import", "ok.env", "--tenant", t]],
    ["env export", ["env", "export", "--tenant", t]],
    ["credentials spotify", ["credentials", "spotify", "--tenant", t]],
    ["keys rewrap", ["keys", "rewrap", "--tenant", t]],
    ["sync apply", ["sync", "apply", "--tenant", t]],
    ["migrate", ["migrate", "--tenant", t, "--from", "local", "--to", "mirror"]],
    ["adopt", ["adopt", "--provider", "local", "--tenant", t, "--confirm"]],
    ["compliance check", ["compliance", "check", "--tenant", t, "--standard", "gdpr"]],
    ["backup create", ["backup", "create", "--tenant", t, "--out", "b.bundle"]],
    ["backup restore", ["backup", "restore", "home.bundle", "--tenant", t]],
    ["rotation due", ["rotation", "due", "--tenant", t]],
    ["rotation run", ["rotation", "run", "--tenant", t]],
  ];
}

/** At full size every payload in every field; in `npm test` each field gets a rotating share of the payloads. */
function attempts(): Array<{ field: string; args: string[]; payload: string }> {
  const out: Array<{ field: string; args: string[]; payload: string }> = [];
  const add = (payloads: string[], fields: (p: string) => Array<[string, string[]]>, perField: number) => {
    const count = fields("x").length;
    for (let f = 0; f < count; f++) {
      const chosen = FULL ? payloads : Array.from({ length: perField }, (_, k) => payloads[(f * perField + k) % payloads.length] as string);
      for (const p of chosen) {
        const [field, args] = fields(p)[f] as [string, string[]];
        out.push({ field, args, payload: p });
      }
    }
  };
  add(NAMES, nameFields, 3);
  add(TENANTS, tenantFields, 1);
  // .env keys become secret names: a traversal key must refuse the whole import.
  for (const p of FULL ? NAMES : NAMES.slice(0, 4))
    out.push({ field: "env import (key)", args: ["env", "import", `bad-${NAMES.indexOf(p)}.env`, "--tenant", "home"], payload: p });
  return out;
}

describe("path traversal in every name field", () => {
  beforeAll(async () => {
    sb = sandbox(
      "traversal",
      "providers:\n  local: { type: file }\n  mirror: { type: file, dir: ./mirror-store }\nroutes:\n  m: { source: local, targets: [mirror], tenants: [home] }\n",
    );
    expect((await run(sb, ["init"])).code).toBe(0);
    expect((await run(sb, ["secrets", "set", "s", "--tenant", "home", "--value-stdin"], { input: "v" })).code).toBe(0);
    expect((await run(sb, ["backup", "create", "--tenant", "home", "--out", "home.bundle"])).code).toBe(0);
    writeFileSync(join(sb.cwd, "ok.env"), "OK=1\n");
    for (const [i, p] of NAMES.entries()) writeFileSync(join(sb.cwd, `bad-${i}.env`), `GOOD_FIRST=1\n${p}=x\n`);
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it("CLI: every traversal attempt is INVALID_INPUT (exit 2) and changes nothing", { timeout: FULL ? 1_800_000 : 300_000 }, async () => {
    const before = snapshot();
    const list = attempts();
    const failures: string[] = [];
    for (let i = 0; i < list.length; i += 6) {
      await Promise.all(
        list.slice(i, i + 6).map(async (a) => {
          const r = await run(sb, a.args, { input: "x" });
          tally.trial();
          tally.fault();
          const ok = r.code === 2 && /^polyvault: INVALID_INPUT: [^\n]+\n$/.test(r.stderr);
          if (!ok) failures.push(`${a.field} ${JSON.stringify(a.payload)}: exit ${r.code} ${r.stderr.trim()}`);
          else tally.invariants++;
        }),
      );
    }
    expect(failures).toEqual([]);
    tally.same(snapshot(), before, "nothing in the sandbox changed");
    tally.check(!existsSync(SENTINEL), "no file appeared outside the sandbox");
  });

  it("HTTP: traversal in the tenant and name segments (encoded and raw) and in body fields is refused", { timeout: 120_000 }, async () => {
    gateway = await startGateway(sb);
    const before = snapshot();
    const raw = (method: string, path: string, body?: unknown) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(gateway?.url as string);
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          {
            host: u.hostname,
            port: u.port,
            method,
            path,
            headers: { ...gateway?.baseHeaders(method), ...(data ? { "content-length": String(Buffer.byteLength(data)) } : {}) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(data);
      });
    const calls: Array<[string, string, unknown?]> = [];
    for (const n of [...NAMES, "a\u0000b"]) {
      for (const seg of [encodeURIComponent(n), n]) {
        calls.push(
          ["GET", `/v1/tenants/home/secrets/${seg}`],
          ["PUT", `/v1/tenants/home/secrets/${seg}`, { value: "x" }],
          ["DELETE", `/v1/tenants/home/secrets/${seg}`],
        );
        calls.push(["GET", `/v1/tenants/home/secrets/${seg}/versions`], ["POST", `/v1/tenants/home/secrets/${seg}/rotate`, {}]);
      }
    }
    for (const t of [...TENANTS, "home\u0000"]) {
      for (const seg of [encodeURIComponent(t), t]) calls.push(["GET", `/v1/tenants/${seg}/secrets`], ["PUT", `/v1/tenants/${seg}/secrets/s`, { value: "x" }]);
      calls.push(["POST", "/v1/sync/plan", { tenant: t }], ["POST", "/v1/sync/apply", { tenant: t }], ["POST", "/v1/sync/plan", { route: t }]);
    }
    const failures: string[] = [];
    for (const [method, path, body] of calls) {
      // A raw NUL or backslash cannot be put on the wire as-is; the encoded form covers those.
      if (path.includes("\u0000") || path.includes("\\")) continue;
      const status = await raw(method, path, body);
      tally.trial();
      tally.fault();
      // 400 is the refusal that proves the name or tenant was rejected; a 404 would also be what an
      // accepted traversal name that happens not to exist answers, so it does not count.
      if (status === 400) tally.invariants++;
      else failures.push(`${method} ${path} ${JSON.stringify(body) ?? ""}: HTTP ${status}`);
    }
    expect(failures).toEqual([]);
    tally.same(snapshot(), before, "nothing in the sandbox changed");
    tally.check(!existsSync(SENTINEL), "no file appeared outside the sandbox");
  });
});
