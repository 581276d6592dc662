/**
 * The operations layer from the library (no CLI): a Runtime's caller is the principal of its
 * POLYVAULT_TOKEN; an operation is authorized, recorded before and after, and refused with nothing changed
 * when its write-ahead record cannot be written; an explicit caller (as the gateway passes) is honoured.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessDeniedError, UnavailableError, tokenSha256 } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { Runtime, callerOf, keysRetire, keysRotate, runOperation } from "../src/index.js";
import { auditRecords } from "./helpers.js";

const sha = tokenSha256;
const config = {
  providers: { local: { type: "file" as const } },
  access: {
    principals: {
      root: { tokenSha256: sha("root-tok"), roles: [{ role: "admin" as const, tenants: ["*"] }] },
      bob: { tokenSha256: sha("bob-tok"), roles: [{ role: "writer" as const, tenants: ["acme"] }] },
    },
    lockout: { maxFailures: 100 },
  },
};
const records = (dataDir: string) => auditRecords(dataDir).filter((e) => e.action !== "config.change");

async function open(dataDir: string, key: string, token: string): Promise<Runtime> {
  return Runtime.open({ dataDir, config, env: { POLYVAULT_MASTER_KEY: key, POLYVAULT_TOKEN: token } });
}

describe("operations called from the library", () => {
  it("authorize → started → run → outcome; a denial is recorded and changes nothing", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-ops-"));
    const key = randomBytes(32).toString("base64");
    const bob = await open(dataDir, key, "bob-tok");
    await expect(keysRotate(bob)).rejects.toThrow(AccessDeniedError);
    expect(bob.keyring.current).toBe(1);
    await bob.close();
    const root = await open(dataDir, key, "root-tok");
    expect(await keysRotate(root)).toEqual({ previous: 1, current: 2 });
    await root.close();
    const got = records(dataDir).map((r) => [r.actor, r.action, r.outcome, r.detail, r.reason]);
    expect(got).toEqual([
      ["bob", "keys.rotate", "denied", undefined, 'no role of principal bob grants keys outside a tenant (needs a grant on tenants: ["*"])'],
      ["root", "keys.rotate", "started", undefined, undefined],
      ["root", "keys.rotate", "ok", "from=1 to=2", undefined],
    ]);
  });

  it("keys retire (irreversible) is refused when its record cannot be written: the key version survives", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-ops-"));
    const key = randomBytes(32).toString("base64");
    const rt = await open(dataDir, key, "root-tok");
    await keysRotate(rt);
    const keyring = readFileSync(join(dataDir, "keys", "keyring.json"));
    renameSync(join(dataDir, "audit.log"), join(dataDir, "audit.log.saved"));
    mkdirSync(join(dataDir, "audit.log"));
    await expect(keysRetire(rt, 1)).rejects.toThrow(UnavailableError);
    expect(readFileSync(join(dataDir, "keys", "keyring.json"))).toEqual(keyring);
    expect(rt.keyring.versions().find((v) => v.version === 1)?.state).not.toBe("retired");
    rt.keyring.close();
  });

  it("an explicit caller (the gateway's request) is the one checked and recorded, with its request id", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-ops-"));
    const rt = await open(dataDir, randomBytes(32).toString("base64"), "root-tok");
    const own = callerOf(rt);
    const asBob = { ...own, principal: "bob", actor: "bob", requestId: "req-42" };
    let ran = false;
    const body = async () => {
      ran = true;
      return 1;
    };
    await expect(runOperation(asBob, { action: "backup.create", permission: "backup", tenant: "acme", changes: true }, body)).rejects.toThrow(
      /no role of principal bob grants backup in tenant acme/,
    );
    expect(ran).toBe(false);
    expect(await runOperation(asBob, { action: "adopt", permission: "write", tenant: "acme", changes: true }, body, (n) => ({ detail: `n=${n}` }))).toBe(1);
    await rt.close();
    expect(records(dataDir).map((r) => [r.actor, r.action, r.outcome, r.requestId, r.detail])).toEqual([
      ["bob", "backup.create", "denied", "req-42", undefined],
      ["bob", "adopt", "started", "req-42", undefined],
      ["bob", "adopt", "ok", "req-42", "n=1"],
    ]);
  });
});
