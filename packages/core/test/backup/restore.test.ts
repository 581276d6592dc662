import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConflictError, Keyring, SecretManager, applyKeyring, applyRestore, mergeKeyrings, openBundle, planKeyring, planRestore } from "../../src/index.js";
import { caught, memoryProvider, tempDir } from "../rotation/support.js";
import { CANARY, type Populated, populated } from "./helpers.js";

const usedVersions = (p: Populated) => new Set(openBundle(p.bytes, p.signer).secrets.flatMap((s) => s.versions.map((v) => v.keyVersion)));

/** A new data directory with the same master key, restored from the bundle. */
async function restoreIntoNewDir(p: Populated) {
  const dataDir = await tempDir();
  const bundle = openBundle(p.bytes, p.signer);
  expect(await planKeyring(dataDir, bundle.header.keyring, usedVersions(p))).toBe("install");
  expect(await applyKeyring(dataDir, p.masterKey, bundle.header.keyring, usedVersions(p))).toBe("install");
  const keyring = await Keyring.open(dataDir, p.masterKey);
  const provider = memoryProvider("fresh");
  const manager = new SecretManager({ tenant: p.tenant, keyring, primary: provider });
  const actions = await planRestore(bundle, provider);
  await applyRestore({ bundle, actions, manager, keyring });
  return { dataDir, keyring, provider, manager, actions };
}

describe("backup restore", () => {
  it("into a new data directory with the same master key: every version back, in order, readable, same revisions", async () => {
    const p = await populated(9);
    const r = await restoreIntoNewDir(p);
    expect(r.actions.every((a) => a.action === "create")).toBe(true);
    for (const [name, revs] of p.values) {
      const versions = await r.manager.versions(name);
      expect(versions.map((v) => v.version).reverse()).toEqual(revs.map((_, i) => i + 1));
      for (const [i, v] of revs.entries()) expect((await r.manager.get(name, { version: i + 1 })).text()).toBe(v);
      const head = await r.provider.head(p.tenant, name);
      expect(head.metadata["pv-created"]).toBe((await p.provider.head(p.tenant, name)).updatedAt?.toISOString());
      expect((await r.manager.get(name)).labels).toEqual({ team: "core" });
    }
  });

  it("plans skip, append, overwrite, create and conflict, and carries each out", async () => {
    const p = await populated(4);
    const bundle = openBundle(p.bytes, p.signer);
    await p.manager.delete("app/s000", { purge: true }); // gone → create
    await p.manager.set("app/s001", "changed"); // newer, different → overwrite (s001 had 2 revisions)
    // s002 (3 revisions): rebuild it with only its first revision → append
    const first = (await p.provider.get(p.tenant, "app/s002", { version: "1" })).value;
    await p.provider.delete(p.tenant, "app/s002", { purge: true });
    await p.provider.put(p.tenant, "app/s002", first, { metadata: bundle.secrets[2]?.versions[0]?.metadata });
    // s003 untouched → skip; a foreign secret with a bundle name → conflict
    await p.provider.delete(p.tenant, "app/s003", { purge: true });
    p.provider.plantUnmanaged("acme", "app/s003", Buffer.from("not ours"));
    const actions = await planRestore(bundle, p.provider);
    expect(actions.map((a) => [a.name, a.action, a.versions])).toEqual([
      ["app/s000", "create", 1],
      ["app/s001", "overwrite", 1],
      ["app/s002", "append", 2],
      ["app/s003", "conflict", 0],
    ]);
    expect(actions[1]?.reason).toBe("differs (revision 3 here, 2 in the backup): the backup's value becomes revision 4");
    await applyRestore({ bundle, actions, manager: p.manager, keyring: p.keyring });
    expect((await p.manager.get("app/s000")).text()).toBe(`${CANARY}-0-0`);
    const s1 = await p.manager.get("app/s001");
    expect([s1.version, s1.text()]).toEqual([4, `${CANARY}-1-1`]);
    expect((await p.manager.get("app/s001", { version: 3 })).text()).toBe("changed");
    expect((await p.manager.versions("app/s002")).map((v) => v.version)).toEqual([3, 2, 1]);
    expect((await p.manager.get("app/s002")).text()).toBe(`${CANARY}-2-2`);
    expect((await p.provider.get(p.tenant, "app/s003")).value.toString()).toBe("not ours");
    expect((await planRestore(bundle, p.provider)).map((a) => a.action)).toEqual(["skip", "skip", "skip", "conflict"]);
  });

  it("keyrings: compatible with its own, extended when the bundle is newer, refused when made separately", async () => {
    const p = await populated(2);
    const bundle = openBundle(p.bytes, p.signer);
    const used = usedVersions(p);
    expect(await planKeyring(p.dataDir, bundle.header.keyring, used)).toBe("compatible");
    // The bundle is older than our keyring: still compatible.
    await p.keyring.rotate();
    expect(await planKeyring(p.dataDir, bundle.header.keyring, used)).toBe("compatible");
    const local = JSON.parse(await readFile(join(p.dataDir, "keys", "keyring.json"), "utf8"));
    // Ours is older than the bundle's: the newer versions are appended.
    const older = { ...local, versions: local.versions.slice(0, 1) };
    expect(mergeKeyrings(older, local, used, "here")).toMatchObject({ action: "extend" });
    // A keyring made separately in the new data directory cannot open the ciphertexts.
    const other = await tempDir();
    await Keyring.open(other, p.masterKey);
    const err = await caught(() => applyKeyring(other, p.masterKey, bundle.header.keyring, used));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe(
      `${join(other, "keys", "keyring.json")} is not the keyring the backup was made with (key version 1 differs); restore into a data directory that holds the same master key but no keys/keyring.json yet`,
    );
  });

  it("refuses when the key version the backup's data needs is retired here", async () => {
    const p = await populated(1);
    const bundle = openBundle(p.bytes, p.signer);
    await p.keyring.rotate();
    await p.keyring.retire(1);
    const err = await caught(() => planKeyring(p.dataDir, bundle.header.keyring, usedVersions(p)));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe(
      `key version 1, which the backup's data is sealed under, is retired in ${join(p.dataDir, "keys", "keyring.json")}: that data could not be opened after a restore`,
    );
  });
});
