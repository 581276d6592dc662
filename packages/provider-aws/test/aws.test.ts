// AWS-specific behaviour against the real (moto) server: what the shared conformance suite cannot know
// about, i.e. tags being per secret, restore-on-put after a soft delete, purge, and batching limits.
import { randomBytes } from "node:crypto";
import { DescribeSecretCommand, PutSecretValueCommand, TagResourceCommand } from "@aws-sdk/client-secrets-manager";
import { ConflictError, InvalidInputError, NotFoundError, type TenantId, TooLargeError, listAll } from "@polyvault/core";
import { afterAll, describe, expect, it } from "vitest";
import { nativeName, provider, raw, rawRead, rawWrite, runPrefix } from "./env.js";

const aws = provider(runPrefix("aws"));
const tenant = "acme" as TenantId;
const other = "globex" as TenantId;
const native = (name: string, t = tenant) => nativeName(aws, t, name);
const rejects = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
afterAll(() => aws.close());

describe("aws provider against moto", () => {
  it("stores bytes exactly, with metadata in tags", async () => {
    const value = randomBytes(4096);
    value[0] = 0;
    const head = await aws.put(tenant, "bytes", value, { metadata: { "pv-digest": "abc+/=", "pv-kid": "1" } });
    const got = await aws.get(tenant, "bytes");
    expect(got.value.equals(value)).toBe(true);
    expect(got).toMatchObject({ name: "bytes", version: head.version, managed: true, metadata: { "pv-digest": "abc+/=", "pv-kid": "1" } });
    expect(await aws.head(tenant, "bytes")).toMatchObject({ version: head.version, metadata: head.metadata });
  });

  it("replaces its own metadata on update and keeps tags it does not own", async () => {
    await aws.put(tenant, "tags", Buffer.from("v1"), { metadata: { "pv-digest": "d1", "pv-old": "x" } });
    await raw.send(new TagResourceCommand({ SecretId: native("tags"), Tags: [{ Key: "team", Value: "payments" }] }));
    await aws.put(tenant, "tags", Buffer.from("v2"), { metadata: { "pv-digest": "d2" } });
    expect((await aws.head(tenant, "tags")).metadata).toEqual({ "pv-digest": "d2" });
    const d = await raw.send(new DescribeSecretCommand({ SecretId: native("tags") }));
    const keys = (d.Tags ?? []).map((t) => t.Key);
    expect(keys).toContain("team");
    expect(keys).not.toContain("pv-old");
  });

  it("hides metadata that describes another version than the one reported (tags are per secret)", async () => {
    const v1 = await aws.put(tenant, "drift", Buffer.from("v1"), { metadata: { "pv-digest": "d1" } });
    await raw.send(new PutSecretValueCommand({ SecretId: native("drift"), SecretBinary: Buffer.from("out of band") }));
    const head = await aws.head(tenant, "drift");
    expect(head.version).not.toBe(v1.version);
    expect(head).toMatchObject({ managed: true, metadata: {} });
    expect((await aws.get(tenant, "drift")).metadata).toEqual({});
    expect((await aws.get(tenant, "drift", { version: v1.version })).metadata).toEqual({ "pv-digest": "d1" });
    const listed = (await aws.list(tenant, { pageSize: 100 })).items;
    expect(listed.find((h) => h.name === "drift")?.metadata).toEqual({});
  });

  it("soft delete hides the secret, keeps it recoverable, and a later put restores it", async () => {
    const v1 = await aws.put(tenant, "soft", Buffer.from("one"));
    await aws.delete(tenant, "soft");
    expect(await rejects(aws.get(tenant, "soft"))).toBeInstanceOf(NotFoundError);
    expect(await rejects(aws.head(tenant, "soft"))).toBeInstanceOf(NotFoundError);
    expect(await rejects(aws.versions(tenant, "soft"))).toBeInstanceOf(NotFoundError);
    expect(await rejects(aws.delete(tenant, "soft"))).toBeInstanceOf(NotFoundError);
    expect((await aws.getMany(tenant, ["soft"])).size).toBe(0);
    expect([...(await aws.list(tenant, { pageSize: 100 })).items].map((h) => h.name)).not.toContain("soft");
    const d = await raw.send(new DescribeSecretCommand({ SecretId: native("soft") }));
    expect(d.DeletedDate).toBeInstanceOf(Date); // still there, recoverable

    const v2 = await aws.put(tenant, "soft", Buffer.from("two"), { ifVersion: null });
    expect((await aws.get(tenant, "soft")).value.toString()).toBe("two");
    expect((await aws.versions(tenant, "soft")).map((v) => v.version)).toEqual([v2.version, v1.version]);
  });

  it("purge removes every version and the name can be used again at once", async () => {
    await aws.put(tenant, "purge", Buffer.from("one"));
    await aws.put(tenant, "purge", Buffer.from("two"));
    await aws.delete(tenant, "purge", { purge: true });
    expect(await rawRead(native("purge"))).toBeUndefined();
    expect(await rejects(aws.delete(tenant, "purge", { purge: true }))).toBeInstanceOf(NotFoundError);
    await aws.put(tenant, "purge", Buffer.from("three"));
    expect(await aws.versions(tenant, "purge")).toHaveLength(1);
  });

  it("a purge also ends the recovery window of a soft-deleted secret", async () => {
    await aws.put(tenant, "soft-then-purge", Buffer.from("one"));
    await aws.delete(tenant, "soft-then-purge");
    await aws.delete(tenant, "soft-then-purge", { purge: true });
    expect(await rejects(raw.send(new DescribeSecretCommand({ SecretId: native("soft-then-purge") })))).toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("never changes a secret it does not own", async () => {
    await rawWrite(native("theirs"), Buffer.from("theirs"));
    await rawWrite(native("foreign"), Buffer.from("foreign"), [
      { Key: "managed-by", Value: "polyvault" },
      { Key: "pv-tenant", Value: other },
      { Key: "pv-name", Value: "foreign" },
    ]);
    for (const name of ["theirs", "foreign"]) {
      expect(await rejects(aws.put(tenant, name, Buffer.from("mine")))).toBeInstanceOf(ConflictError);
      expect(await rejects(aws.delete(tenant, name))).toBeInstanceOf(ConflictError);
      expect(await rejects(aws.delete(tenant, name, { purge: true }))).toBeInstanceOf(ConflictError);
      expect((await rawRead(native(name)))?.toString()).toBe(name);
      expect(await aws.head(tenant, name)).toMatchObject({ managed: false, metadata: {} });
      expect((await aws.get(tenant, name)).value.toString()).toBe(name);
    }
  });

  it("refuses, before any call, what AWS cannot hold", async () => {
    expect(await rejects(aws.put(tenant, "empty", Buffer.alloc(0)))).toBeInstanceOf(InvalidInputError);
    expect(await rejects(aws.put(tenant, "big", Buffer.alloc(65_537, 1)))).toBeInstanceOf(TooLargeError);
    expect(await rejects(aws.put(tenant, "meta", Buffer.from("x"), { metadata: { team: "x" } }))).toBeInstanceOf(InvalidInputError);
    expect(await rejects(aws.put(tenant, "meta", Buffer.from("x"), { metadata: { "pv-tenant": other } }))).toBeInstanceOf(InvalidInputError);
    expect(await rejects(aws.put(tenant, "a//b", Buffer.from("x")))).toBeInstanceOf(InvalidInputError);
    for (const name of ["empty", "big", "meta"]) expect(await rawRead(native(name))).toBeUndefined();
    const max = await aws.put(tenant, "max", Buffer.alloc(65_536, 2));
    expect((await aws.get(tenant, "max", { version: max.version })).value.length).toBe(65_536);
  });

  it("check-and-set compares the current version before writing", async () => {
    const v1 = await aws.put(tenant, "cas", Buffer.from("one"), { ifVersion: null });
    expect(await rejects(aws.put(tenant, "cas", Buffer.from("x"), { ifVersion: null }))).toBeInstanceOf(ConflictError);
    const v2 = await aws.put(tenant, "cas", Buffer.from("two"), { ifVersion: v1.version });
    expect(await rejects(aws.put(tenant, "cas", Buffer.from("x"), { ifVersion: v1.version }))).toBeInstanceOf(ConflictError);
    expect(await rejects(aws.put(tenant, "cas-missing", Buffer.from("x"), { ifVersion: v1.version }))).toBeInstanceOf(ConflictError);
    expect((await aws.versions(tenant, "cas")).map((v) => v.version)).toEqual([v2.version, v1.version]);
  });

  it("racing plain puts on a new name all land: the losers of CreateSecret update instead", async () => {
    const values = Array.from({ length: 6 }, (_, i) => `w${i}`);
    const heads = await Promise.all(values.map((v) => aws.put(tenant, "race-create", Buffer.from(v))));
    expect(new Set(heads.map((h) => h.version)).size).toBe(values.length);
    expect(values).toContain((await aws.get(tenant, "race-create")).value.toString());
    expect(await aws.versions(tenant, "race-create")).toHaveLength(values.length);
  });

  it("lists versions newest first and reads each one", async () => {
    const written = [];
    for (const v of ["a", "b", "c", "d"]) written.push(await aws.put(tenant, "history", Buffer.from(v)));
    const versions = await aws.versions(tenant, "history");
    expect(versions.map((v) => v.version)).toEqual(written.map((h) => h.version).reverse());
    expect(versions.map((v) => v.current)).toEqual([true, false, false, false]);
    for (const [i, h] of written.entries()) expect((await aws.get(tenant, "history", { version: h.version })).value.toString()).toBe("abcd"[i]);
    expect(await rejects(aws.get(tenant, "history", { version: "nope" }))).toBeInstanceOf(NotFoundError);
    expect(await rejects(aws.get(tenant, "history", { version: "0".repeat(40) }))).toBeInstanceOf(NotFoundError);
  });

  it("getMany batches past 20 names and leaves out what does not exist", async () => {
    const t = "batch" as TenantId;
    const names = Array.from({ length: 45 }, (_, i) => `k/${String(i).padStart(2, "0")}`);
    await Promise.all(names.map((n) => aws.put(t, n, Buffer.from(`v-${n}`), { metadata: { "pv-digest": n } })));
    await aws.delete(t, "k/03");
    const got = await aws.getMany(t, [...names, "missing", "k/00"]);
    expect(got.size).toBe(44);
    expect(got.has("k/03")).toBe(false);
    expect(got.get("k/44")?.value.toString()).toBe("v-k/44");
    expect(got.get("k/17")).toMatchObject({ managed: true, metadata: { "pv-digest": "k/17" } });
  });

  it("pages through a tenant's namespace with an opaque cursor, and only that namespace", async () => {
    const t = "pages" as TenantId;
    const names = Array.from({ length: 23 }, (_, i) => `p${i}`);
    await Promise.all(names.map((n) => aws.put(t, n, Buffer.from(n))));
    await aws.put("pages-2" as TenantId, "p0", Buffer.from("x")); // a tenant whose id extends this one's
    const seen: string[] = [];
    for await (const h of listAll(aws, t, 7)) seen.push(h.name);
    expect(seen.sort()).toEqual([...names].sort());
    const first = await aws.list(t, { pageSize: 7 });
    expect(first.items.length).toBeLessThanOrEqual(7);
    expect(typeof first.cursor).toBe("string");
    expect(await rejects(aws.list(t, { cursor: "not-a-cursor" }))).toBeInstanceOf(InvalidInputError);
  });

  it("reports health", async () => {
    expect(await aws.health()).toMatchObject({ ok: true });
  });
});

describe("per-version metadata (tags are per secret, so each version's bytes carry its own)", () => {
  it("frames ciphertext with its metadata, never a native value, never misreads another tool's value", async () => {
    await aws.put(tenant, "framed", Buffer.from("ct-1"), { metadata: { "pv-enc": "envelope", "pv-labels": "b64:e30" } });
    expect((await rawRead(native("framed")))?.subarray(0, 8).toString("latin1")).toBe("PVMETA1\n");
    await aws.put(tenant, "plain", Buffer.from("app reads me"), { metadata: { "pv-enc": "native", "pv-rev": "1" } });
    expect((await rawRead(native("plain")))?.toString()).toBe("app reads me");
    const lookalike = Buffer.concat([Buffer.from("PVMETA1\n\u0000\u0002{}", "latin1"), Buffer.from("theirs")]);
    await rawWrite(native("lookalike"), lookalike);
    const got = await aws.get(tenant, "lookalike");
    expect(got.value.equals(lookalike)).toBe(true);
    expect(got.metadata).toEqual({});
  });
});
