/** The read path's bounded caches (bounded-map.ts): which entry goes when a new key comes to a full map. */
import { describe, expect, it } from "vitest";
import { keepBounded, keepRecent } from "../src/index.js";

const filled = () =>
  new Map([
    ["a", 1],
    ["b", 2],
    ["c", 3],
  ]);

describe("bounded maps", () => {
  it("keepBounded: a new key pushes out the entry set first; re-setting a key pushes out nothing and keeps its place", () => {
    const m = filled();
    keepBounded(m, "a", 10, 3);
    expect([...m]).toEqual([
      ["a", 10],
      ["b", 2],
      ["c", 3],
    ]);
    keepBounded(m, "d", 4, 3);
    expect([...m]).toEqual([
      ["b", 2],
      ["c", 3],
      ["d", 4],
    ]);
  });

  it("keepRecent: a key set again becomes the most recent, and a new key pushes out the least recent", () => {
    const m = filled();
    keepRecent(m, "a", 10, 3);
    expect([...m]).toEqual([
      ["b", 2],
      ["c", 3],
      ["a", 10],
    ]);
    keepRecent(m, "d", 4, 3);
    expect([...m]).toEqual([
      ["c", 3],
      ["a", 10],
      ["d", 4],
    ]);
    expect(m.size).toBe(3);
  });
});
