import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LockoutStore, UnavailableError } from "../../src/index.js";
import { tempDir } from "../audit/helpers.js";

function clocked(dir: string, options = { maxFailures: 3, windowSeconds: 60, lockSeconds: 120 }) {
  let now = Date.parse("2030-01-01T00:00:00Z");
  const store = new LockoutStore(dir, options, () => new Date(now));
  return { store, advance: (s: number) => (now += s * 1000), at: () => now };
}

describe("LockoutStore", () => {
  it("locks at maxFailures within the window, for lockSeconds, then forgets", async () => {
    const dir = tempDir();
    const { store, advance, at } = clocked(dir);
    expect(await store.recordFailure("bob")).toEqual({ failures: 1, lockedUntil: undefined, justLocked: false });
    expect(await store.recordFailure("bob")).toMatchObject({ failures: 2, justLocked: false });
    expect(store.lockedUntil("bob")).toBeUndefined();
    const third = await store.recordFailure("bob");
    expect(third).toEqual({ failures: 3, lockedUntil: new Date(at() + 120_000), justLocked: true });
    expect(store.lockedUntil("bob")).toEqual(new Date(at() + 120_000));
    expect(store.lockedUntil("alice")).toBeUndefined();
    // Failures while locked do not extend the lock.
    advance(60);
    expect(await store.recordFailure("bob")).toMatchObject({ justLocked: false, lockedUntil: new Date(at() + 60_000) });
    advance(61);
    expect(store.lockedUntil("bob")).toBeUndefined();
    expect(await store.recordFailure("bob")).toMatchObject({ failures: 1, justLocked: false });
  });

  it("failures older than the window do not count", async () => {
    const { store, advance } = clocked(tempDir());
    await store.recordFailure("bob");
    await store.recordFailure("bob");
    advance(61);
    expect(await store.recordFailure("bob")).toMatchObject({ failures: 1, justLocked: false });
  });

  it("persists across instances (each CLI call is a new process), 0600, ids and times only", async () => {
    const dir = tempDir();
    const a = clocked(dir);
    await a.store.recordFailure("bob");
    await a.store.recordFailure("bob");
    const b = new LockoutStore(dir, { maxFailures: 3, windowSeconds: 60, lockSeconds: 120 }, () => new Date(a.at()));
    expect(await b.recordFailure("bob")).toMatchObject({ failures: 3, justLocked: true });
    expect(a.store.lockedUntil("bob")).toBeDefined();
    const path = join(dir, "access-state.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).principals)).toEqual(["bob"]);
  });

  it("concurrent failures are all counted (the file is updated under a lock)", async () => {
    const dir = tempDir();
    const store = new LockoutStore(dir, { maxFailures: 100, windowSeconds: 60, lockSeconds: 60 });
    const results = await Promise.all(Array.from({ length: 20 }, () => store.recordFailure("bob")));
    expect(results.map((r) => r.failures).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("lock: false counts without locking; a damaged state file refuses (fail closed)", async () => {
    const dir = tempDir();
    const { store } = clocked(dir);
    for (let i = 0; i < 5; i++) await store.recordFailure("(unauthenticated)", { lock: false });
    expect(store.lockedUntil("(unauthenticated)")).toBeUndefined();
    writeFileSync(join(dir, "access-state.json"), "{not json");
    expect(() => store.lockedUntil("bob")).toThrow(UnavailableError);
    expect(() => store.lockedUntil("bob")).toThrow(/access state .* is damaged; refusing requests/);
  });

  it("lockedUntil answers from the file as it is now: a lock, an unlock and an edit in place by another process are seen at once", async () => {
    const dir = tempDir();
    const a = clocked(dir);
    const path = join(dir, "access-state.json");
    expect(a.store.lockedUntil("bob")).toBeUndefined();
    const b = new LockoutStore(dir, { maxFailures: 1, windowSeconds: 60, lockSeconds: 120 }, () => new Date(a.at()));
    await b.recordFailure("bob");
    expect(a.store.lockedUntil("bob")).toEqual(new Date(a.at() + 120_000));
    expect(a.store.lockedUntil("bob")).toEqual(new Date(a.at() + 120_000));
    // Rewritten in place (same inode), to the same length: another principal locked instead.
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.replace('"bob"', '"eve"'));
    expect(a.store.lockedUntil("bob")).toBeUndefined();
    expect(a.store.lockedUntil("eve")).toEqual(new Date(a.at() + 120_000));
    rmSync(path);
    expect(a.store.lockedUntil("eve")).toBeUndefined();
    writeFileSync(path, text);
    expect(a.store.lockedUntil("bob")).toBeDefined();
  });
});
