/**
 * The canary sweep: one full scenario — every command, every provider server that is up, sync (one
 * target in `native` mode, so values are decrypted in flight), failures (missing secret, provider down,
 * tampered ciphertext, wrong master key, bad input), and the HTTP gateway with its metrics — run with
 * canary values. Then every byte Polyvault produced is searched for every canary in clear, base64,
 * base64url and hex: each command's stdout and stderr (except the value a read asked for), the gateway's
 * logs and answers, /metrics, plans, and every file in the working and data directories (audit log,
 * state database, keys, stores, bundles). Expected: 0 hits.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliResult, type CliSandbox, run, sandbox, tempDir } from "../harness/cli.js";
import { startGateway } from "./helpers/serve.js";
import { AWS_ENDPOINT, AZURE_URL, VAULT_ADDR, notRun } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("canary-sweep");
const canaries: Buffer[] = [];
const outputs: Array<{ what: string; bytes: Buffer; allow?: Buffer[] }> = [];
const forms = (v: Buffer) => [v, Buffer.from(v.toString("base64")), Buffer.from(v.toString("base64url")), Buffer.from(v.toString("hex"))];
const canary = (label: string) => {
  const v = Buffer.from(`CANARY-${label}-${randomBytes(10).toString("hex")}`);
  canaries.push(v);
  return v;
};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The scenario's polyvault.yaml; with `deadPort`, plus a tenant whose primary refuses connections. */
function configFor(run: string, deadPort?: number): string {
  const aws = !notRun("aws");
  const vault = !notRun("vault");
  const azure = !notRun("azure");
  return [
    "providers:",
    "  local: { type: file }",
    "  mirror: { type: file, dir: ./mirror-store }",
    aws
      ? `  aws: { type: aws, region: us-east-1, endpoint: "${AWS_ENDPOINT}", credentials: { accessKeyId: test, secretAccessKey: test }, prefix: "cs${run}" }`
      : "",
    vault ? `  vault: { type: vault, address: "${VAULT_ADDR}", token: "\${POLYVAULT_TEST_VAULT_TOKEN}", prefix: "cs${run}" }` : "",
    azure
      ? `  azure: { type: azure, vaultUrl: "${AZURE_URL}", credential: { kind: static, token: canary }, tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true, prefix: "cs${run}" }`
      : "",
    deadPort
      ? `  dead: { type: aws, region: us-east-1, endpoint: "http://127.0.0.1:${deadPort}", credentials: { accessKeyId: test, secretAccessKey: test }, timeoutMs: 1000 }`
      : "",
    "tenants:",
    "  acme: { primary: local, mirrors: [mirror] }",
    deadPort ? "  down: { primary: dead }" : "",
    "routes:",
    `  m: { source: local, targets: [mirror${aws ? ", aws" : ""}${vault ? ", { provider: vault, encryption: native }" : ""}${azure ? ", azure" : ""}], tenants: [acme], prune: true, nativeWaiver: "canary sweep" }`,
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}

describe(`canary sweep (providers: file${notRun("aws") ? "" : ", aws"}${notRun("vault") ? "" : ", vault"}${notRun("azure") ? "" : ", azure"})`, () => {
  it("a full scenario leaves no canary in any log, audit file, state database, plan, error or metrics output", { timeout: 600_000 }, async () => {
    const runId = Date.now().toString(36);
    const sb = sandbox({ prefix: "canary", config: configFor(runId) });
    writeFileSync(join(sb.cwd, "down.yaml"), configFor(runId, await freePort()));
    const inputs = tempDir("canary-in"); // inputs live outside the swept tree
    const cli = async (args: string[], options: { input?: Buffer | string; allow?: Buffer[]; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> => {
      const r = await run(sb, args, options);
      tally.trial();
      outputs.push({ what: `stdout of polyvault ${args.join(" ")}`, bytes: r.stdout, ...(options.allow ? { allow: options.allow } : {}) });
      outputs.push({ what: `stderr of polyvault ${args.join(" ")}`, bytes: Buffer.from(r.stderr) });
      return r;
    };
    const ok = async (args: string[], options: Parameters<typeof cli>[1] = {}) => {
      const r = await cli(args, options);
      expect(r.code, `polyvault ${args.join(" ")}: ${r.stderr} ${args.includes("sync") ? r.out.slice(0, 1500) : ""}`).toBe(0);
      return r;
    };

    const db = canary("db");
    const api = canary("api");
    const file = canary("file");
    const big = canary("rotated");
    const [s1, s2, s3] = [canary("spotify-id"), canary("spotify-secret"), canary("spotify-uri")];
    const envValues = [canary("env-a"), canary("env-b")];
    writeFileSync(join(inputs, "value.bin"), file);
    writeFileSync(
      join(inputs, "vars.env"),
      `ENV_A=${envValues[0]}\nENV_B=${envValues[1]}\nSPOTIFY_CLIENT_ID=${s1}\nSPOTIFY_CLIENT_SECRET=${s2}\nSPOTIFY_REDIRECT_URI=https://cb.example.test/${s3}\n`,
    );
    writeFileSync(join(inputs, "template.env"), "ENV_A=\nENV_MISSING=\n");

    await ok(["init"]);
    await ok(["secrets", "set", "db/url", "--tenant", "acme", "--value-stdin", "--label", "team=core"], { input: db });
    await ok(["secrets", "set", "API_KEY", "--tenant", "acme", "--value-stdin"], { input: api });
    await ok(["secrets", "set", "from/file", "--tenant", "acme", "--value-file", join(inputs, "value.bin")]);
    await ok(["secrets", "set", "gen", "--tenant", "acme", "--generate", "--length", "40"]);
    canaries.push((await ok(["secrets", "get", "gen", "--tenant", "acme"], { allow: [] })).stdout); // the generated value, now known
    outputs.pop();
    outputs.pop();
    await ok(["env", "import", join(inputs, "vars.env"), "--tenant", "acme"]);
    await ok(["secrets", "get", "db/url", "--tenant", "acme"], { allow: [db] });
    await ok(["secrets", "get", "db/url", "--tenant", "acme", "--json"], { allow: [db] });
    await ok(["secrets", "rotate", "API_KEY", "--tenant", "acme", "--value-stdin"], { input: big });
    await ok(["secrets", "rotate", "gen", "--tenant", "acme", "--generate"]);
    await ok(["secrets", "get", "API_KEY", "--tenant", "acme", "--version", "1"], { allow: [api] });
    await Promise.all([
      ok(["secrets", "list", "--tenant", "acme", "--json"]),
      ok(["secrets", "versions", "API_KEY", "--tenant", "acme", "--json"]),
      ok(["env", "export", "--tenant", "acme"], { allow: canaries.slice() }),
      ok(["credentials", "spotify", "--tenant", "acme", "--json"], { allow: [s1, s2, s3] }),
      cli(["env", "check", "--tenant", "acme", "--template", join(inputs, "template.env")]),
    ]);
    await ok(["sync", "plan", "--json"]);
    await ok(["sync", "apply", "--json"]);
    await Promise.all([ok(["sync", "status", "--json"]), ok(["sync", "plan", "--json"]), ok(["keys", "status", "--json"])]);
    await ok(["keys", "rotate"]);
    await ok(["keys", "rewrap", "--json"]);
    // Each command's exit code is checked: a command that fails early must not pass the sweep.
    const exits = async (args: string[], code: number) => {
      const r = await cli(args);
      expect(r.code, `polyvault ${args.join(" ")}: ${r.stderr}`).toBe(code);
    };
    await ok(["migrate", "--tenant", "acme", "--from", "local", "--to", "mirror", "--preflight-only", "--json"]);
    await exits(["adopt", "--provider", "local", "--tenant", "acme", "--json"], 0);
    await exits(["rotation", "due", "--tenant", "acme", "--all", "--json"], 0);
    await exits(["rotation", "run", "--tenant", "acme", "--secret", "db/url", "--force", "--confirm", "--json"], 0);
    await exits(["compliance", "check", "--tenant", "acme", "--standard", "soc2", "--json"], 1);
    await ok(["backup", "create", "--tenant", "acme", "--out", "acme.bundle"]);
    await ok(["backup", "verify", "acme.bundle"]);
    await ok(["backup", "restore", "acme.bundle", "--tenant", "acme", "--dry-run", "--json"]);
    await ok(["backup", "restore", "acme.bundle", "--tenant", "acme"]);
    // Operations audited since issue 15.3: a staged rotation confirmed, another rolled back (they read and write values).
    await cli(["rotation", "run", "--tenant", "acme", "--secret", "ENV_A", "--force", "--json"]);
    await cli(["rotation", "confirm", "ENV_A", "--tenant", "acme", "--json"]);
    await cli(["rotation", "run", "--tenant", "acme", "--secret", "ENV_B", "--force", "--json"]);
    await cli(["rotation", "rollback", "ENV_B", "--tenant", "acme", "--json"]);
    await ok(["secrets", "delete", "from/file", "--tenant", "acme"]);
    await ok(["sync", "apply", "--confirm", "--json"]); // 1 of 9 is over the 10% mass-delete guard

    // Failures: each must fail, and say so without the value.
    const fail = async (args: string[], code: number, options: Parameters<typeof cli>[1] = {}) => {
      const r = await cli(args, options);
      tally.fault();
      tally.check(r.code === code, `polyvault ${args.join(" ")}: exit ${r.code}, expected ${code}: ${r.stderr}`);
    };
    await fail(["secrets", "get", "nope", "--tenant", "acme"], 3);
    await fail(["secrets", "set", "x", "--tenant", "down", "--value-stdin", "--config", "down.yaml"], 5, { input: canary("down") });
    await fail(["secrets", "set", "bad name!", "--tenant", "acme", "--value-stdin"], 2, { input: canary("badname") });
    await fail(["secrets", "set", "x", "--tenant", "acme", "--value-stdin"], 6, {
      input: canary("wrongkey"),
      env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") },
    });
    const stored = join(sb.home, "store", "acme", "s", "db~url");
    const version = readdirSync(stored)
      .filter((f) => f.endsWith(".pv"))
      .sort()
      .at(-1) as string;
    const bytes = readFileSync(join(stored, version));
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 1;
    writeFileSync(join(stored, version), bytes);
    await fail(["secrets", "get", "db/url", "--tenant", "acme"], 6);
    await fail(["backup", "restore", join(inputs, "vars.env"), "--tenant", "acme"], 6);

    await gatewayPart(sb);
    await ok(["audit", "verify", "--json"]);
    await ok(["audit", "export", "--format", "ndjson"]);
    auditedOperations(sb);

    sweep(sb);
  });
});

/** The gateway: writes and reads over HTTP, errors, health and metrics; its answers and logs are swept too. */
async function gatewayPart(sb: CliSandbox): Promise<void> {
  const gw = await startGateway(sb, {}, ["--log-level", "debug", "--config", "down.yaml"]);
  const httpValue = canary("http");
  const record = (what: string, text: string, allow?: Buffer[]) => outputs.push({ what, bytes: Buffer.from(text), ...(allow ? { allow } : {}) });
  try {
    const put = await gw.request("PUT", "/v1/tenants/acme/secrets/http%2Fsecret", { body: { value: httpValue.toString() } });
    tally.check(put.status === 200 || put.status === 201, `PUT over HTTP: ${put.status} ${put.text}`);
    record("PUT answer", put.text);
    const get = await gw.request("GET", "/v1/tenants/acme/secrets/http%2Fsecret");
    tally.check(get.status === 200, `GET over HTTP: ${get.status}`);
    record("GET answer", get.text, [httpValue]);
    const bad = canary("http-bad");
    for (const [method, path, body] of [
      ["PUT", "/v1/tenants/acme/secrets/bad%20name", { value: bad.toString() }],
      ["PUT", "/v1/tenants/ACME/secrets/x", { value: bad.toString() }],
      ["PUT", "/v1/tenants/acme/secrets/x", { value: bad.toString(), extra: bad.toString() }],
      ["PUT", "/v1/tenants/acme/secrets/x", { valueBase64: `${bad.toString()}!!` }],
      ["PUT", "/v1/tenants/down/secrets/x", { value: bad.toString() }],
      ["POST", "/v1/tenants/acme/secrets/API_KEY/rotate", { value: canary("http-rotated").toString() }],
      ["GET", "/v1/tenants/acme/secrets", undefined],
      ["GET", "/v1/tenants/acme/secrets/API_KEY/versions", undefined],
      ["POST", "/v1/sync/plan", {}],
      ["POST", "/v1/sync/apply", {}],
      ["GET", "/v1/tenants/acme/secrets/nope", undefined],
      ["GET", "/health", undefined],
      ["GET", "/health/secrets", undefined],
      ["GET", "/metrics", undefined],
    ] as Array<[string, string, unknown]>) {
      const r = await gw.request(method, path, { body });
      tally.trial();
      record(`${method} ${path} → ${r.status}`, r.text);
    }
  } finally {
    tally.check((await gw.stop()) === 0, "the gateway stops cleanly on SIGTERM");
    record("gateway stdout and logs", gw.output().toString());
  }
}

/**
 * Each operation of the operations layer left its write-ahead and its outcome record (the sweep then
 * searches those records, with every other file, for the canaries).
 */
function auditedOperations(sb: CliSandbox): void {
  const records = readFileSync(join(sb.home, "audit.log"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as { action?: string; outcome?: string; requestId?: string; detail?: string });
  const actions = ["keys.status", "keys.rotate", "keys.rewrap", "backup.create", "backup.verify", "backup.restore", "sync.plan", "sync.apply", "sync.status"];
  actions.push("rotation.due", "rotation.run", "rotation.confirm", "rotation.rollback", "compliance.check", "migrate", "adopt");
  for (const action of actions) {
    const mine = records.filter((r) => r.action === action);
    const started = mine.filter((r) => r.outcome === "started");
    const ended = mine.filter((r) => r.outcome !== "started" && started.some((s) => s.requestId === r.requestId));
    tally.check(started.length > 0 && ended.length === started.length, `${action}: ${started.length} started, ${ended.length} outcome record(s)`);
  }
  tally.note("operations with write-ahead and outcome records", actions.length);
}

/** Every output and every file: 0 hits for any canary in any form. */
function sweep(sb: CliSandbox): void {
  const hits: string[] = [];
  for (const o of outputs) {
    for (const c of canaries) {
      if (o.allow?.some((a) => a.equals(c))) continue;
      tally.invariants++;
      if (forms(c).some((f) => o.bytes.includes(f))) hits.push(`${o.what}: ${c.toString().slice(0, 20)}…`);
    }
  }
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
  const files = walk(sb.cwd);
  for (const f of files) {
    const data = readFileSync(f);
    for (const c of canaries) {
      tally.invariants++;
      if (forms(c).some((x) => data.includes(x))) hits.push(`${f.slice(sb.cwd.length)}: ${c.toString().slice(0, 20)}…`);
    }
  }
  tally.note("canaries planted", canaries.length);
  tally.note("outputs searched", outputs.length);
  tally.note("files searched", files.length);
  tally.same(hits, [], "no canary anywhere");
}
