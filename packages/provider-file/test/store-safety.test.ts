/**
 * Issue 15.12: the file store follows no symbolic link and opens no FIFO or device, and a damaged header
 * is an IntegrityError; issue 15.8: one damaged record does not hide the others from list().
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IntegrityError, type Provider, parseTenantId } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { createFileProvider } from "../src/index.js";

const acme = parseTenantId("acme");
const other = parseTenantId("other");

function store(): { dir: string; p: Provider } {
  const dir = mkdtempSync(join(tmpdir(), "pv-file-safety-"));
  return { dir, p: createFileProvider({ name: "local", dir: join(dir, "store") }) };
}

async function refused(fn: () => Promise<unknown>): Promise<IntegrityError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IntegrityError);
    return err as IntegrityError;
  }
  throw new Error("expected an IntegrityError, nothing was thrown");
}

describe("file store: no links, no special files", () => {
  it("a secret directory replaced by a link to a directory outside the store is refused, for reads and writes", async () => {
    const { dir, p } = store();
    await p.put(acme, "db", Buffer.from("inside"), { metadata: { "pv-rev": "1" } });
    // The attacker's copy: a real version file of the same tenant and name, kept outside the store.
    const outside = join(dir, "outside");
    renameSync(join(dir, "store", "acme", "s", "db"), outside);
    symlinkSync(outside, join(dir, "store", "acme", "s", "db"));
    expect((await refused(() => p.get(acme, "db"))).message).toMatch(/store\/acme\/s\/db is a symbolic link/);
    await refused(() => p.head(acme, "db"));
    await refused(() => p.versions(acme, "db"));
    await refused(() => p.put(acme, "db", Buffer.from("x"), { metadata: { "pv-rev": "2" } }));
    await refused(() => p.delete(acme, "db", { purge: true }));
    expect(readdirSync(outside)).toEqual(["v0000000001.pv"]);
    expect((await p.list(acme)).items.map((h) => h.name)).toEqual([]);
  });

  it("a tenant directory that is a link is refused; so is a link named like a version file", async () => {
    const { dir, p } = store();
    await p.put(other, "db", Buffer.from("other's"), { metadata: { "pv-rev": "1" } });
    mkdirSync(join(dir, "store"), { recursive: true });
    symlinkSync(join(dir, "store", "other"), join(dir, "store", "acme"));
    await refused(() => p.get(acme, "db"));
    await refused(() => p.list(acme));
    await refused(() => p.put(acme, "new", Buffer.from("x")));
    expect(readdirSync(join(dir, "store", "other", "s"))).toEqual(["db"]);

    const q = store();
    await q.p.put(acme, "a", Buffer.from("a"), { metadata: { "pv-rev": "1" } });
    mkdirSync(join(q.dir, "store", "acme", "s", "b"));
    symlinkSync(join(q.dir, "store", "acme", "s", "a", "v0000000001.pv"), join(q.dir, "store", "acme", "s", "b", "v0000000001.pv"));
    expect((await refused(() => q.p.get(acme, "b"))).message).toMatch(/v0000000001\.pv is a symbolic link/);
  });

  it("a store root that is itself a link is the operator's choice and works; a file in the place of a secret's directory is refused", async () => {
    const base = mkdtempSync(join(tmpdir(), "pv-file-safety-"));
    mkdirSync(join(base, "real"));
    symlinkSync(join(base, "real"), join(base, "root-link"));
    const p = createFileProvider({ name: "local", dir: join(base, "root-link") });
    await p.put(acme, "db", Buffer.from("through the root's link"), { metadata: { "pv-rev": "1" } });
    expect(Buffer.from((await p.get(acme, "db")).value).toString()).toBe("through the root's link");
    // Twice: the second read takes the realpath fast path with the root's real path already known.
    expect(Buffer.from((await p.get(acme, "db")).value).toString()).toBe("through the root's link");
    // A link below a linked root is still refused, by the same walk.
    mkdirSync(join(base, "elsewhere"));
    renameSync(join(base, "real", "acme", "s", "db"), join(base, "elsewhere", "db"));
    symlinkSync(join(base, "elsewhere", "db"), join(base, "real", "acme", "s", "db"));
    expect((await refused(() => p.get(acme, "db"))).message).toMatch(/acme\/s\/db is a symbolic link/);

    const { dir, p: q } = store();
    await q.put(acme, "x", Buffer.from("x"), { metadata: { "pv-rev": "1" } });
    writeFileSync(join(dir, "store", "acme", "s", "plain"), "not a directory");
    expect((await refused(() => q.get(acme, "plain"))).message).toMatch(/acme\/s\/plain should be a directory and is not/);
  });

  it("a FIFO in the place of a version file is refused at once instead of blocking the read", async () => {
    const { dir, p } = store();
    await p.put(acme, "db", Buffer.from("v1"), { metadata: { "pv-rev": "1" } });
    const file = join(dir, "store", "acme", "s", "db", "v0000000002.pv");
    execFileSync("mkfifo", [file]);
    expect((await refused(() => p.get(acme, "db"))).message).toMatch(/v0000000002\.pv is not a regular file/);
  });

  it("a header without metadata, with non-string metadata or without createdAt is an IntegrityError", async () => {
    const { dir, p } = store();
    await p.put(acme, "db", Buffer.from("v1"), { metadata: { "pv-rev": "1" } });
    const file = join(dir, "store", "acme", "s", "db", "v0000000001.pv");
    const original = readFileSync(file);
    const len = original.readUInt32BE(4);
    const header = JSON.parse(original.subarray(8, 8 + len).toString()) as Record<string, unknown>;
    for (const [edit, why] of [
      [{ metadata: undefined }, "no metadata"],
      [{ metadata: null }, "no metadata"],
      [{ metadata: { "pv-rev": 1 } }, "a metadata value is not a string"],
      [{ createdAt: "yesterday" }, "no valid createdAt"],
      [{ version: undefined }, "no version"],
      [{ managed: "yes" }, "no managed flag"],
    ] as const) {
      const json = Buffer.from(JSON.stringify({ ...header, ...edit }));
      const head = Buffer.alloc(8);
      Buffer.from("PVF1").copy(head);
      head.writeUInt32BE(json.length, 4);
      writeFileSync(file, Buffer.concat([head, json, original.subarray(8 + len)]));
      expect((await refused(() => p.get(acme, "db"))).message).toContain(`has a malformed header (${why})`);
    }
  });

  it("one damaged record is listed (with no metadata) instead of failing the whole list", async () => {
    const { dir, p } = store();
    for (const n of ["a", "b", "c"]) await p.put(acme, n, Buffer.from(n), { metadata: { "pv-rev": "1" } });
    await p.put(other, "b", Buffer.from("theirs"), { metadata: { "pv-rev": "1" } });
    writeFileSync(join(dir, "store", "acme", "s", "b", "v0000000001.pv"), readFileSync(join(dir, "store", "other", "s", "b", "v0000000001.pv")));
    const items = (await p.list(acme)).items;
    expect(items.map((h) => [h.name, h.managed, h.metadata["pv-rev"]])).toEqual([
      ["a", true, "1"],
      ["b", true, undefined],
      ["c", true, "1"],
    ]);
    await refused(() => p.get(acme, "b"));
    expect(existsSync(join(dir, "store", "acme", "s", "b"))).toBe(true);
  });
});
