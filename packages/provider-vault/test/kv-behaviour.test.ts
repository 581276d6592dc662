// Vault-specific behaviour beyond the shared suite, against the real dev server: a put that stopped
// between its two writes, stale custom_metadata, markers of another tenant, custom_metadata limits,
// a secret that is also a folder, cursors and tokens.
import { randomBytes } from "node:crypto";
import { ConflictError, InvalidInputError, type TenantId, UnauthorizedError, listAll } from "@polyvault/core";
import NodeVault from "node-vault";
import { describe, expect, it } from "vitest";
import { createVaultProvider } from "../src/index.js";
import { encodeRecord } from "../src/record.js";

const address = process.env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200";
const token = process.env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev";
const raw = NodeVault({ endpoint: address, token });
const provider = createVaultProvider({ name: "vault", address, token });
const tenant = `kvb-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}` as TenantId;
const data = (name: string) => `secret/data/polyvault/${tenant}/${name}`;
const metadata = (name: string) => `secret/metadata/polyvault/${tenant}/${name}`;
const names = async () => {
  const out: string[] = [];
  for await (const h of listAll(provider, tenant, 2)) out.push(h.name);
  return out;
};

describe("vault KV v2 specifics", () => {
  it("recovers a put that stopped after the version write, before custom_metadata", async () => {
    // What a crash leaves: a version in Polyvault's format, no custom_metadata at all.
    const record = encodeRecord(Buffer.from("half"), { tenant, name: "crash/one" }, { "pv-digest": "d-half" }, "w1");
    await raw.write(data("crash/one"), { options: { cas: 0 }, data: record });
    const head = await provider.head(tenant, "crash/one");
    expect(head).toMatchObject({ version: "1", managed: true, metadata: { "pv-digest": "d-half" } });
    expect(await names()).toContain("crash/one");
    const next = await provider.put(tenant, "crash/one", Buffer.from("whole"), { metadata: { "pv-digest": "d-whole" } });
    expect(next.version).toBe("2");
    const meta = await raw.read(metadata("crash/one"));
    expect(meta.data.custom_metadata).toMatchObject({ "managed-by": "polyvault", "pv-digest": "d-whole", "pv-vault-version": "2" });
  });

  it("never trusts custom_metadata that describes an older version", async () => {
    await provider.put(tenant, "stale/one", Buffer.from("a"), { metadata: { "pv-digest": "d-a" } });
    // A racing writer's version 2 landed, but the custom_metadata still describes version 1.
    const record = encodeRecord(Buffer.from("b"), { tenant, name: "stale/one" }, { "pv-digest": "d-b" }, "w2");
    await raw.write(data("stale/one"), { options: { cas: 1 }, data: record });
    expect(await provider.head(tenant, "stale/one")).toMatchObject({ version: "2", metadata: { "pv-digest": "d-b" } });
    const got = await provider.get(tenant, "stale/one", { version: "1" });
    expect(got.metadata).toEqual({ "pv-digest": "d-a" });
    expect(got.value.toString()).toBe("a");
  });

  it("refuses to write or delete a secret marked for another tenant or name", async () => {
    await raw.write(data("marked/elsewhere"), { data: { value: "x" } });
    await raw.write(metadata("marked/elsewhere"), {
      custom_metadata: { "managed-by": "polyvault", "pv-tenant": "someone-else", "pv-name": "marked/elsewhere" },
    });
    expect((await provider.head(tenant, "marked/elsewhere")).managed).toBe(false);
    for (const call of [
      () => provider.put(tenant, "marked/elsewhere", Buffer.from("y")),
      () => provider.delete(tenant, "marked/elsewhere"),
      () => provider.delete(tenant, "marked/elsewhere", { purge: true }),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(ConflictError);
    }
    expect((await raw.read(data("marked/elsewhere"))).data.data).toEqual({ value: "x" });
  });

  it("refuses an unmanaged secret even when it is soft-deleted", async () => {
    await raw.write(data("foreign/deleted"), { data: { value: "x" } });
    await raw.delete(data("foreign/deleted"));
    await expect(provider.put(tenant, "foreign/deleted", Buffer.from("y"))).rejects.toBeInstanceOf(ConflictError);
    await expect(provider.delete(tenant, "foreign/deleted", { purge: true })).rejects.toBeInstanceOf(ConflictError);
    expect((await raw.read(metadata("foreign/deleted"))).data.current_version).toBe(1);
  });

  it("a create (ifVersion null) writes with cas=0 and still tells apart what is already at the path", async () => {
    const created = await provider.put(tenant, "create/fresh", Buffer.from("v1"), { ifVersion: null, metadata: { "pv-digest": "d1" } });
    expect(created.version).toBe("1");
    expect((await raw.read(metadata("create/fresh"))).data.custom_metadata).toMatchObject({ "managed-by": "polyvault", "pv-vault-version": "1" });
    // Ours and live: the answer names the version it is at, and nothing is written.
    await expect(provider.put(tenant, "create/fresh", Buffer.from("v2"), { ifVersion: null })).rejects.toThrow(
      'secret "create/fresh" already exists (version 1)',
    );
    expect((await raw.read(metadata("create/fresh"))).data.current_version).toBe(1);
    // Another tool's secret, live or soft-deleted: refused as not managed, left as it was.
    await raw.write(data("create/foreign"), { data: { value: "theirs" } });
    await expect(provider.put(tenant, "create/foreign", Buffer.from("y"), { ifVersion: null })).rejects.toBeInstanceOf(ConflictError);
    expect((await raw.read(data("create/foreign"))).data.data).toEqual({ value: "theirs" });
    await raw.delete(data("create/foreign"));
    await expect(provider.put(tenant, "create/foreign", Buffer.from("y"), { ifVersion: null })).rejects.toBeInstanceOf(ConflictError);
    expect((await raw.read(metadata("create/foreign"))).data.current_version).toBe(1);
    // Ours, soft-deleted: a create writes the next version over it.
    await provider.delete(tenant, "create/fresh");
    expect((await provider.put(tenant, "create/fresh", Buffer.from("v3"), { ifVersion: null })).version).toBe("2");
    expect((await provider.get(tenant, "create/fresh")).value.toString()).toBe("v3");
  });

  it("adopts an unmanaged secret only when asked: overwritten and marked managed", async () => {
    await raw.write(data("adopt/me"), { data: { value: "theirs" } });
    await raw.write(metadata("adopt/me"), { custom_metadata: { owner: "other-tool" } });
    await expect(provider.put(tenant, "adopt/me", Buffer.from("ours"))).rejects.toBeInstanceOf(ConflictError);
    const head = await provider.put(tenant, "adopt/me", Buffer.from("ours"), { adopt: true, metadata: { "pv-digest": "d" } });
    expect(head).toMatchObject({ version: "2", managed: true });
    expect(await provider.head(tenant, "adopt/me")).toMatchObject({ managed: true, metadata: { "pv-digest": "d" } });
    expect((await provider.get(tenant, "adopt/me")).value.toString()).toBe("ours");
    await provider.delete(tenant, "adopt/me", { purge: true });
  });

  it("checks caller metadata against custom_metadata's rules before writing", async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 61 }, (_, i) => [`pv-k${i}`, "v"]));
    for (const bad of [
      { "pv-empty": "" },
      { "pv-tenant": "x" },
      { "pv-long": "v".repeat(513) },
      { [`pv-${"k".repeat(130)}`]: "v" },
      { "pv-ctl": "a\u0001b" },
      tooMany,
    ]) {
      await expect(provider.put(tenant, "meta/bad", Buffer.from("x"), { metadata: bad })).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(provider.head(tenant, "meta/bad")).rejects.toMatchObject({ code: "NOT_FOUND" });
    const ok = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`pv-k${i}`, "v".repeat(512)]));
    expect((await provider.put(tenant, "meta/ok", Buffer.from("x"), { metadata: ok })).metadata).toEqual(ok);
    expect((await provider.head(tenant, "meta/ok")).metadata).toEqual(ok);
  });

  it("holds a secret and a folder of the same name, and soft delete keeps versions counting", async () => {
    await provider.put(tenant, "tree/db", Buffer.from("parent"));
    await provider.put(tenant, "tree/db/url", Buffer.from("child"));
    await provider.put(tenant, "tree/db-x", Buffer.from("sibling"));
    expect((await names()).filter((n) => n.startsWith("tree/"))).toEqual(["tree/db", "tree/db-x", "tree/db/url"]);
    await provider.delete(tenant, "tree/db");
    expect((await names()).filter((n) => n.startsWith("tree/"))).toEqual(["tree/db-x", "tree/db/url"]);
    expect((await provider.get(tenant, "tree/db/url")).value.toString()).toBe("child");
    expect((await provider.put(tenant, "tree/db", Buffer.from("again"))).version).toBe("2");
  });

  it("reads what other tools stored: one string field as its text, anything else as JSON", async () => {
    await raw.write(data("other/json"), { data: { user: "u", port: 5432 } });
    expect(JSON.parse((await provider.get(tenant, "other/json")).value.toString())).toEqual({ user: "u", port: 5432 });
  });

  it("refuses a cursor it did not make", async () => {
    await expect(provider.list(tenant, { cursor: "not-a-cursor" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("refuses to write to a mount that is not KV v2, or to a path below a mount", async () => {
    const v1 = `pv-kv1-${randomBytes(3).toString("hex")}`;
    await raw.mount({ mount_point: v1, type: "kv", options: { version: "1" } });
    try {
      const onV1 = createVaultProvider({ name: "vault", address, token, mount: v1 });
      await expect(onV1.put(tenant, "x", Buffer.from("v"))).rejects.toThrow(/KV version 2/);
      expect((await raw.list(v1).catch(() => ({ data: { keys: [] } }))).data.keys).toEqual([]);
      const below = createVaultProvider({ name: "vault", address, token, mount: "secret/polyvault" });
      await expect(below.put(tenant, "x", Buffer.from("v"))).rejects.toBeInstanceOf(InvalidInputError);
    } finally {
      await raw.unmount({ mount_point: v1 });
    }
  });

  it("maps a refused token to UnauthorizedError, never NotFound", async () => {
    const bad = createVaultProvider({ name: "vault", address, token: "wrong-token" });
    await expect(bad.get(tenant, "tree/db-x")).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(bad.list(tenant)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
