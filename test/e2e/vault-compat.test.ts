/**
 * Issue 13 item 8's acceptance: `polyvault serve --vault-port` as its own process, read by the real
 * `vault` CLI (the binary the test set-up builds, test/emulators/vault.mjs) with VAULT_ADDR pointed at
 * it and a Polyvault token as VAULT_TOKEN, and by node-vault (the Vault provider's own client): `kv
 * get`, `kv list`, `kv metadata get`; a token without the right gets the 403 the CLI reports as
 * "permission denied" (exit 2); writes are refused; no canary value in the gateway's log or any error.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import nodeVault from "node-vault";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDir } from "../emulators/lib.mjs";
import { name as vaultName, version as vaultVersion } from "../emulators/vault.mjs";
import { cli as runCli, run as runAsync, sandbox, start } from "../harness/cli.js";

const run = `vc${Date.now().toString(36)}`;
const TENANT = run;
const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const TOKENS = { admin: `adm-${run}-token`, reader: `rea-${run}-token`, stranger: `str-${run}-token` };
const CANARY = `CANARY-vc-e2e-${run}`;
const CANARY_DB = `CANARY-vc-db-${run}`;

/** The `vault` binary the test set-up builds (test/emulators/vault.mjs), else one on PATH. */
function vaultBinary(): string | undefined {
  const built = join(cacheDir(vaultName, vaultVersion), "vault");
  if (existsSync(built)) return built;
  const onPath = spawnSync("sh", ["-c", "command -v vault"], { encoding: "utf8" }).stdout.trim();
  return onPath || undefined;
}
const VAULT_BIN = vaultBinary();

describe("Vault clients read Polyvault through serve --vault-port", () => {
  // HOME of its own: the vault CLI reads no ~/.vault-token of the user's.
  const sb = sandbox({ prefix: "e2e-vc" });
  const { cwd } = sb;
  const home = join(cwd, "home");
  const asAdmin = { HOME: home, POLYVAULT_TOKEN: TOKENS.admin };
  let server: ChildProcess;
  let vaultAddr = "";
  let stderr = "";
  let stdout = "";
  const errorsSeen: string[] = [];

  const cli = (args: string[], input?: string) => runCli(sb, args, input, asAdmin);
  const vault = (token: string, args: string[]) => {
    const r = spawnSync(VAULT_BIN as string, args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: home, VAULT_ADDR: vaultAddr, VAULT_TOKEN: token },
      encoding: "utf8",
    });
    errorsSeen.push(r.stderr);
    return r;
  };

  beforeAll(async () => {
    mkdirSync(home);
    writeFileSync(
      join(cwd, "polyvault.yaml"),
      `providers:
  local: { type: file }
access:
  principals:
    admin:    { tokenSha256: "${sha(TOKENS.admin)}", roles: [{ role: admin, tenants: ["*"] }] }
    reader:   { tokenSha256: "${sha(TOKENS.reader)}", roles: [{ role: reader, tenants: [${TENANT}], secrets: ["db/*"] }] }
    stranger: { tokenSha256: "${sha(TOKENS.stranger)}", roles: [{ role: reader, tenants: [other] }] }
  lockout: { maxFailures: 50, windowSeconds: 300, lockSeconds: 60 }
`,
    );
    expect(cli(["init"]).code).toBe(0);
    for (const [name, value, extra] of [
      ["DATABASE_URL", CANARY, ["--label", "team=core"]],
      ["db/password", CANARY_DB, []],
      ["db/password", `${CANARY_DB}-2`, []],
    ] as const) {
      const r = cli(["secrets", "set", name, "--tenant", TENANT, "--value-stdin", ...extra], value);
      expect(r.code, r.stderr).toBe(0);
    }
    server = start(sb, ["serve", "--port", "0", "--vault-port", "0", "--log-level", "debug"], asAdmin);
    server.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    server.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const ready = /vault-compatible reads listening on (http:\/\/\S+)/;
    await new Promise<void>((ok, fail) => {
      const check = () => (ready.test(stdout) ? ok() : server.exitCode !== null ? fail(new Error(`polyvault serve did not start: ${stderr}`)) : undefined);
      server.stdout?.on("data", check);
      server.on("exit", check);
    });
    vaultAddr = (ready.exec(stdout) as RegExpExecArray)[1] as string;
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  });

  // Skipped only when no vault binary exists (POLYVAULT_TEST_VAULT_ADDR names an outside server and nothing was
  // built); `npm test` builds it, so there it always runs. The reason is in the title.
  describe.skipIf(!VAULT_BIN)(
    `the vault CLI${VAULT_BIN ? "" : " (NOT RUN: no vault binary; the test set-up builds it unless POLYVAULT_TEST_VAULT_ADDR points elsewhere)"}`,
    () => {
      it("vault kv get -format=json -mount=<tenant> DATABASE_URL returns the value", () => {
        const r = vault(TOKENS.admin, ["kv", "get", "-format=json", `-mount=${TENANT}`, "DATABASE_URL"]);
        expect(r.status, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(out.data.data).toEqual({ value: CANARY });
        expect(out.data.metadata).toMatchObject({ version: 1, destroyed: false, custom_metadata: { team: "core" } });
        // -field prints the value alone, as scripts use it.
        expect(vault(TOKENS.admin, ["kv", "get", `-mount=${TENANT}`, "-field=value", "DATABASE_URL"]).stdout).toBe(CANARY);
        // The path form (mount learnt from the preflight) and an older version.
        const old = vault(TOKENS.reader, ["kv", "get", "-format=json", "-version=1", `${TENANT}/db/password`]);
        expect([old.status, JSON.parse(old.stdout).data.data.value]).toEqual([0, CANARY_DB]);
      });

      it("vault kv list shows one folder level, folders ending in '/', filtered by the caller's rights", () => {
        const all = vault(TOKENS.admin, ["kv", "list", "-format=json", `-mount=${TENANT}`]);
        expect([all.status, JSON.parse(all.stdout)]).toEqual([0, ["DATABASE_URL", "db/"]]);
        const db = vault(TOKENS.admin, ["kv", "list", "-format=json", `-mount=${TENANT}`, "db"]);
        expect(JSON.parse(db.stdout)).toEqual(["password"]);
        expect(JSON.parse(vault(TOKENS.reader, ["kv", "list", "-format=json", `-mount=${TENANT}`]).stdout)).toEqual(["db/"]);
      });

      it("vault kv metadata get shows the versions", () => {
        const r = vault(TOKENS.reader, ["kv", "metadata", "get", "-format=json", `-mount=${TENANT}`, "db/password"]);
        expect(r.status, r.stderr).toBe(0);
        const d = JSON.parse(r.stdout).data;
        expect(d).toMatchObject({ current_version: 2, oldest_version: 1 });
        expect(Object.keys(d.versions).sort()).toEqual(["1", "2"]);
      });

      it("a token without the right gets the CLI's 403 'permission denied' (exit 2); an unknown token too", () => {
        for (const [token, name] of [
          [TOKENS.reader, "DATABASE_URL"],
          [TOKENS.stranger, "db/password"],
          ["not-a-token", "DATABASE_URL"],
        ] as const) {
          const r = vault(token, ["kv", "get", `-mount=${TENANT}`, name]);
          expect([r.status, r.stdout]).toEqual([2, ""]);
          expect(r.stderr).toMatch(/Code: 403\. Errors:[\s\S]*\* permission denied/);
        }
      });

      it("a missing secret is 'No value found' (exit 2), and writes are refused with 405, changing nothing", () => {
        const missing = vault(TOKENS.admin, ["kv", "get", `-mount=${TENANT}`, "nothing-here"]);
        expect([missing.status, missing.stderr.trim()]).toEqual([2, `No value found at ${TENANT}/data/nothing-here`]);
        const put = vault(TOKENS.admin, ["kv", "put", `-mount=${TENANT}`, "DATABASE_URL", "value=overwritten"]);
        expect(put.status).toBe(2);
        expect(put.stderr).toMatch(/Code: 405\. Errors:[\s\S]*unsupported operation/);
        expect(vault(TOKENS.admin, ["kv", "delete", `-mount=${TENANT}`, "DATABASE_URL"]).status).toBe(2);
        expect(vault(TOKENS.admin, ["kv", "get", `-mount=${TENANT}`, "-field=value", "DATABASE_URL"]).stdout).toBe(CANARY);
      });
    },
  );

  describe("node-vault", () => {
    const client = (token: string, noCustomHTTPVerbs = false) => nodeVault({ endpoint: vaultAddr, token, noCustomHTTPVerbs });

    it("reads a value and metadata", async () => {
      const r = await client(TOKENS.reader).read(`${TENANT}/data/db/password`);
      expect(r.data.data).toEqual({ value: `${CANARY_DB}-2` });
      expect((await client(TOKENS.reader).read(`${TENANT}/data/db/password?version=1`)).data.data.value).toBe(CANARY_DB);
      expect((await client(TOKENS.admin).read(`${TENANT}/metadata/DATABASE_URL`)).data.custom_metadata).toEqual({ team: "core" });
    });

    it("lists with the LIST method and with GET ?list=1", async () => {
      expect((await client(TOKENS.admin).list(`${TENANT}/metadata/`)).data.keys).toEqual(["DATABASE_URL", "db/"]);
      expect((await client(TOKENS.admin, true).list(`${TENANT}/metadata/db`)).data.keys).toEqual(["password"]);
      expect((await client(TOKENS.reader).list(`${TENANT}/metadata`)).data.keys).toEqual(["db/"]);
    });

    it("rejects a read without the right with status 403 and 'permission denied'", async () => {
      const err = (await client(TOKENS.reader)
        .read(`${TENANT}/data/DATABASE_URL`)
        .then(
          () => undefined,
          (e: unknown) => e,
        )) as { message: string; response: { statusCode: number } } | undefined;
      expect(err?.response.statusCode).toBe(403);
      expect(err?.message).toContain("permission denied");
      errorsSeen.push(JSON.stringify(err?.response), err?.message ?? "");
      const write = (await client(TOKENS.admin)
        .write(`${TENANT}/data/DATABASE_URL`, { data: { value: "x" } })
        .then(
          () => undefined,
          (e: unknown) => e,
        )) as { response: { statusCode: number } } | undefined;
      expect(write?.response.statusCode).toBe(405);
    });
  });

  it("refuses a bad --vault-port, or the REST listener's own port, before listening", async () => {
    for (const [args, message] of [
      [["--port", "18711", "--vault-port", "18711"], "polyvault: INVALID_INPUT: --vault-port must differ from --port"],
      [["--vault-port", "82OO"], 'polyvault: INVALID_INPUT: --vault-port must be a whole number from 0 to 65535 (got "82OO")'],
      [["--vault-port", "65536"], 'polyvault: INVALID_INPUT: --vault-port must be a whole number from 0 to 65535 (got "65536")'],
    ] as const) {
      const r = await runAsync(sb, ["serve", ...args], { env: asAdmin, hangAfterMs: 30_000 });
      expect([r.code, r.stderr.trim(), r.out]).toEqual([2, message, ""]);
    }
  });

  it("no value in the gateway's log lines or in any error a client saw", () => {
    expect(stderr).toContain('"listener":"vault"');
    const text = [stderr, ...errorsSeen].join("\n");
    for (const needle of [CANARY, CANARY_DB, Buffer.from(CANARY).toString("base64"), TOKENS.admin, TOKENS.reader]) expect(text).not.toContain(needle);
  });
});
