/**
 * Listing pages (listing.ts): the sorted names a listing's first page walked are kept for its next pages,
 * so a tenant is walked once per listing, not once per page; the heads are read page by page.
 */
import * as fsp from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Provider, type SecretHead, parseTenantId } from "@polyvault/core";
import { describe, expect, it, vi } from "vitest";
import { createFileProvider } from "../src/index.js";

vi.mock("node:fs/promises", async (load) => {
  const real = await load<typeof import("node:fs/promises")>();
  return { ...real, readdir: vi.fn(real.readdir) };
});
const readdir = vi.mocked(fsp.readdir);

const acme = parseTenantId("acme");
const names = Array.from({ length: 45 }, (_, i) => `app/${String(i).padStart(3, "0")}`);

async function filled(): Promise<{ dir: string; p: Provider }> {
  const dir = join(mkdtempSync(join(tmpdir(), "pv-file-listing-")), "store");
  const p = createFileProvider({ name: "local", dir });
  for (const n of names) await p.put(acme, n, Buffer.from(`v-${n}`), { metadata: { "pv-rev": "1" }, ifVersion: null });
  return { dir, p };
}

async function pages(p: Provider, pageSize: number, between?: (page: number) => Promise<void>): Promise<SecretHead[][]> {
  const out: SecretHead[][] = [];
  let cursor: string | undefined;
  do {
    const page = await p.list(acme, { cursor, pageSize });
    out.push([...page.items]);
    cursor = page.cursor;
    if (cursor !== undefined) await between?.(out.length);
  } while (cursor !== undefined);
  return out;
}

/** readdir calls on the tenant's secrets directory (the walk), as opposed to a secret's own directory. */
const walks = (dir: string) => readdir.mock.calls.filter(([path]) => path === join(dir, "acme", "s")).length;

describe("file provider listing pages", () => {
  it("walks the tenant once per listing, whatever the number of pages, and lists every name once, sorted", async () => {
    const { dir, p } = await filled();
    readdir.mockClear();
    const got = await pages(p, 10);
    expect(got.map((pg) => pg.length)).toEqual([10, 10, 10, 10, 5]);
    expect(got.flat().map((h) => h.name)).toEqual(names);
    expect(walks(dir)).toBe(1);
    // Another provider on the same store (another process) continues from a cursor it did not hand out.
    const first = await p.list(acme, { pageSize: 20 });
    const other = createFileProvider({ name: "local", dir });
    const rest = await other.list(acme, { cursor: first.cursor, pageSize: 100 });
    expect([...first.items, ...rest.items].map((h) => h.name)).toEqual(names);
    expect(rest.cursor).toBeUndefined();
  });

  it("a secret deleted during a listing is left out; one created during it shows in the next listing", async () => {
    const { p } = await filled();
    const got = await pages(p, 10, async (page) => {
      if (page !== 1) return;
      await p.delete(acme, "app/030", { purge: true });
      await p.put(acme, "app/031-new", Buffer.from("new"), { metadata: { "pv-rev": "1" }, ifVersion: null });
    });
    const listed = got.flat().map((h) => h.name);
    expect(listed).toEqual(names.filter((n) => n !== "app/030"));
    expect(got.map((pg) => pg.length)).toEqual([10, 10, 10, 10, 4]);
    expect((await pages(p, 100)).flat().map((h) => h.name)).toContain("app/031-new");
  });
});
