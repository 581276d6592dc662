/**
 * The file provider's read cache (read-cache.ts): a hit only while the secret's directory and its version
 * file are the ones read, unchanged; never for a state younger than the file system's clock can tell
 * apart; copies that callers may wipe; bounded. Real files throughout; a clock is injected where the
 * test must not wait for a second to pass.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IntegrityError, NotFoundError, parseTenantId, type StoredSecret } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { createFileProvider } from "../src/index.js";
import { MAX_AGE_MS, RACY_MS, createReadCache, markOf } from "../src/read-cache.js";

const acme = parseTenantId("acme");

/** A secret directory with one version file, and a cache whose clock runs `ahead` ms past the real one. */
function fixture(ahead = 5_000) {
  const root = mkdtempSync(join(tmpdir(), "pv-read-cache-"));
  const dir = join(root, "db");
  mkdirSync(dir);
  const file = join(dir, "v0000000001.pv");
  writeFileSync(file, "sealed-envelope-1");
  let now = Date.now() + ahead;
  const cache = createReadCache({ clock: () => now, maxBytes: 1_600, maxEntries: 3 });
  const record = (value = "sealed-envelope-1"): StoredSecret => ({
    name: "db",
    version: "1",
    updatedAt: new Date(0),
    managed: true,
    metadata: { "pv-rev": "1" },
    value: Buffer.from(value),
  });
  const keep = (d = dir, f = file, r = record()) => cache.keep(d, markOf(d), f, markOf(f), r);
  return { root, dir, file, cache, record, keep, advance: (ms: number) => (now += ms) };
}

describe("file provider read cache", () => {
  it("a hit is a copy of what was kept: wiping it or its metadata leaves the cache intact", () => {
    const { dir, cache, keep } = fixture();
    keep();
    const a = cache.get(dir, true) as StoredSecret;
    expect(a.value.toString()).toBe("sealed-envelope-1");
    a.value.fill(0);
    (a.metadata as Record<string, string>)["pv-rev"] = "changed";
    const b = cache.get(dir, true) as StoredSecret;
    expect(b.value.toString()).toBe("sealed-envelope-1");
    expect(b.metadata).toEqual({ "pv-rev": "1" });
    expect((cache.get(dir, false) as StoredSecret).value.length).toBe(0);
  });

  it("the kept record is a copy: the caller wiping what it read from the disk does not reach the cache", () => {
    const { dir, cache, keep, record } = fixture();
    const r = record();
    keep(undefined, undefined, r);
    r.value.fill(0);
    expect((cache.get(dir, true) as StoredSecret).value.toString()).toBe("sealed-envelope-1");
  });

  it("a state younger than RACY_MS is not kept (two changes in one clock tick look alike)", () => {
    const { dir, cache, keep } = fixture(RACY_MS / 2);
    keep();
    expect(cache.get(dir, true)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("a file added to the directory (a new version, the soft-delete marker, a temporary file) is a miss", () => {
    const { dir, cache, keep } = fixture();
    keep();
    writeFileSync(join(dir, "deleted"), "{}");
    expect(cache.get(dir, true)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("the version file rewritten in place, even with its old times put back, is a miss", () => {
    const { dir, file, cache, keep } = fixture();
    keep();
    const old = markOf(file);
    writeFileSync(file, "sealed-envelope-X"); // same size
    utimesSync(file, new Date((old?.mtimeMs ?? 0) - 10_000), new Date(old?.mtimeMs ?? 0)); // mtime back; ctime is now
    expect(cache.get(dir, true)).toBeUndefined();
  });

  it("the version file replaced by another (rename over it) or by a symbolic link is a miss", () => {
    const a = fixture();
    a.keep();
    writeFileSync(join(a.root, "other.pv"), "sealed-envelope-2");
    renameSync(join(a.root, "other.pv"), a.file);
    expect(a.cache.get(a.dir, true)).toBeUndefined();

    const b = fixture();
    b.keep();
    writeFileSync(join(b.root, "elsewhere.pv"), "sealed-envelope-1");
    rmSync(b.file);
    symlinkSync(join(b.root, "elsewhere.pv"), b.file);
    expect(b.cache.get(b.dir, true)).toBeUndefined();
  });

  it("the directory purged, moved away, or replaced by a link to a copy is a miss", () => {
    const a = fixture();
    a.keep();
    rmSync(a.dir, { recursive: true });
    expect(a.cache.get(a.dir, true)).toBeUndefined();

    const b = fixture();
    b.keep();
    renameSync(b.dir, join(b.root, "moved"));
    symlinkSync(join(b.root, "moved"), b.dir);
    expect(b.cache.get(b.dir, true)).toBeUndefined();
  });

  it("an entry older than MAX_AGE_MS is read again from the disk", () => {
    const { dir, cache, keep, advance } = fixture();
    keep();
    advance(MAX_AGE_MS - 1);
    expect(cache.get(dir, true)).toBeDefined();
    advance(2);
    expect(cache.get(dir, true)).toBeUndefined();
  });

  it("forget drops the entry; a missing mark keeps nothing", () => {
    const { dir, file, cache, keep, record } = fixture();
    keep();
    cache.forget(dir);
    expect(cache.get(dir, true)).toBeUndefined();
    cache.keep(dir, undefined, file, markOf(file), record());
    expect(cache.size).toBe(0);
  });

  it("holds at most maxEntries secrets and maxBytes of envelopes, oldest out first; an envelope over maxBytes/16 is not kept", () => {
    const { root, cache, record } = fixture();
    const dirs = [0, 1, 2, 3].map((i) => {
      const d = join(root, `s${i}`);
      mkdirSync(d);
      writeFileSync(join(d, "v0000000001.pv"), "x");
      return d;
    });
    const keepAt = (d: string, value: string) => cache.keep(d, markOf(d), join(d, "v0000000001.pv"), markOf(join(d, "v0000000001.pv")), record(value));
    for (const d of dirs) keepAt(d, "x");
    expect(cache.size).toBe(3);
    expect(cache.get(dirs[0] as string, true)).toBeUndefined();
    expect(cache.get(dirs[3] as string, true)).toBeDefined();
    keepAt(dirs[1] as string, "y".repeat(101)); // 1,600 / 16 = 100 bytes at most
    expect(cache.get(dirs[1] as string, true)).toBeUndefined();
  });
});

describe("file provider with its read cache, two instances on one store (two processes)", () => {
  it("a write, a soft delete and a tampered version file made by another process are seen on the next read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-read-cache-store-"));
    const reader = createFileProvider({ name: "local", dir });
    const writer = createFileProvider({ name: "local", dir });
    await writer.put(acme, "db", Buffer.from("value-one"));
    await new Promise((r) => setTimeout(r, RACY_MS + 100)); // old enough to be kept
    expect((await reader.get(acme, "db")).value.toString()).toBe("value-one");
    expect((await reader.get(acme, "db")).value.toString()).toBe("value-one"); // the hit

    await writer.put(acme, "db", Buffer.from("value-two"));
    expect((await reader.get(acme, "db")).value.toString()).toBe("value-two");

    await new Promise((r) => setTimeout(r, RACY_MS + 100));
    expect((await reader.get(acme, "db")).version).toBe("2");
    expect((await reader.get(acme, "db")).version).toBe("2"); // the hit
    // Tampered in place: the next read decodes the file again and refuses it.
    const v2 = join(dir, "acme", "s", "db", "v0000000002.pv");
    writeFileSync(v2, "not a version file");
    await expect(reader.get(acme, "db")).rejects.toBeInstanceOf(IntegrityError);

    await writer.put(acme, "api", Buffer.from("value-three"));
    await new Promise((r) => setTimeout(r, RACY_MS + 100));
    expect((await reader.get(acme, "api")).value.toString()).toBe("value-three");
    expect((await reader.head(acme, "api")).version).toBe("1"); // the hit, without the value
    await writer.delete(acme, "api");
    await expect(reader.get(acme, "api")).rejects.toBeInstanceOf(NotFoundError);
    await expect(reader.head(acme, "api")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("readCache: false turns the cache off: reads go to the disk and a damaged file is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pv-read-cache-off-"));
    const p = createFileProvider({ name: "local", dir, readCache: false });
    await p.put(acme, "db", Buffer.from("value-one"));
    await new Promise((r) => setTimeout(r, RACY_MS + 100));
    expect((await p.get(acme, "db")).value.toString()).toBe("value-one");
    writeFileSync(join(dir, "acme", "s", "db", "v0000000001.pv"), "not a version file");
    await expect(p.get(acme, "db")).rejects.toBeInstanceOf(IntegrityError);
  });
});
