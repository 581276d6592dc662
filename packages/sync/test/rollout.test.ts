// Gradual rotation's promise (docs/rotation.md): the targets are updated one at a time, each read back
// before the next is touched, and the first failed read-back stops the rollout. Checked on real file
// providers whose calls are recorded in one sequence.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring, type Provider, SecretManager, initMasterKey, parseTenantId, rollOut } from "@polyvault/core";
import { createFileProvider } from "@polyvault/provider-file";
import { describe, expect, it } from "vitest";
import { type RouteSpec, SqliteStateStore, SyncEngine, syncRollout } from "../src/index.js";

const acme = parseTenantId("acme");

/** A real file provider whose writes are appended to `log` as "put:<name>". */
function recorded(name: string, dir: string, log: string[]): Provider {
  const p = createFileProvider({ name, dir: join(dir, name) });
  return new Proxy(p, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === "put")
        return (...args: Parameters<Provider["put"]>) => {
          log.push(`put:${name}`);
          return target.put(...args);
        };
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function setUp() {
  const dir = mkdtempSync(join(tmpdir(), "pv-rollout-"));
  const keyring = await Keyring.open(dir, (await initMasterKey(dir)).key);
  const log: string[] = [];
  const source = createFileProvider({ name: "local", dir: join(dir, "local") });
  const [east, west] = [recorded("east", dir, log), recorded("west", dir, log)];
  const state = new SqliteStateStore(join(dir, "state.db"));
  const route: RouteSpec = {
    name: "mirror",
    source,
    targets: [
      { provider: east, encryption: "envelope" },
      { provider: west, encryption: "envelope" },
    ],
    tenants: [acme],
    prune: false,
    conflict: "source-wins",
    maxDeleteFraction: 0.1,
  };
  const manager = new SecretManager({ tenant: acme, keyring, primary: source });
  await manager.set("TOKEN", "first");
  await new SyncEngine({ state, keyring, routes: [route] }).apply();
  await manager.set("TOKEN", "second"); // revision 2, at the source only
  log.length = 0;
  const rollout = syncRollout({ routes: [route], state, keyring, source: () => "local" });
  return { keyring, log, east, west, rollout };
}

describe("gradual rollout through sync", () => {
  it("pushes to each target in turn and reads each back before touching the next", async () => {
    const { keyring, log, east, west, rollout } = await setUp();
    const targets = (await rollout.targetsFor("acme", "TOKEN", 2)).map((t) => ({
      name: t.name,
      push: () => t.push(),
      readBack: async () => {
        const ok = await t.readBack();
        log.push(`readBack:${t.name}=${ok}`);
        return ok;
      },
    }));
    const result = await rollOut(targets);
    expect(result).toEqual({ ok: true, done: ["mirror:east", "mirror:west"] });
    expect(log).toEqual(["put:east", "readBack:mirror:east=true", "put:west", "readBack:mirror:west=true"]);
    for (const p of [east, west]) expect((await new SecretManager({ tenant: acme, keyring, primary: p }).get("TOKEN")).text()).toBe("second");
  });

  it("a failed read-back stops the rollout: the next target is never written", async () => {
    const { keyring, log, west, rollout } = await setUp();
    const [first, second] = await rollout.targetsFor("acme", "TOKEN", 2);
    if (!first || !second) throw new Error("expected two targets");
    const targets = [
      {
        name: first.name,
        push: () => first.push(),
        readBack: async () => {
          log.push(`readBack:${first.name}=false`);
          return false;
        },
      },
      { name: second.name, push: () => second.push(), readBack: () => second.readBack() },
    ];
    const result = await rollOut(targets);
    expect(result).toMatchObject({ ok: false, done: [], target: "mirror:east" });
    expect(log).toEqual(["put:east", "readBack:mirror:east=false"]);
    expect((await new SecretManager({ tenant: acme, keyring, primary: west }).get("TOKEN")).text()).toBe("first");
  });

  it("a target whose copy does not carry the new revision fails its read-back", async () => {
    const { rollout } = await setUp();
    const [first] = await rollout.targetsFor("acme", "TOKEN", 2);
    // Not pushed yet: the target still holds revision 1.
    expect(await first?.readBack()).toBe(false);
  });
});
