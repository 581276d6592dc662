import { TooLargeError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import type { Section } from "../context.js";
import { ALL_BYTES, UNICODE, exists, rejection } from "../fixtures.js";

export const roundTripSection: Section = (ctx, slow) =>
  describe("round trips", () => {
    const cases: Array<[string, () => Buffer]> = [
      ["every byte value, NULs included", () => ALL_BYTES],
      ["UTF-8 text in several scripts", () => UNICODE],
      ["a single byte", () => Buffer.from([0])],
      ["a value of exactly maxValueBytes", () => Buffer.alloc(ctx().provider.capabilities.maxValueBytes, 0xa5)],
    ];
    for (const [label, make] of cases) {
      it(
        `stores and returns ${label}`,
        async () => {
          const { provider, tenant } = ctx();
          const name = `rt/${label.replace(/[^A-Za-z0-9]+/g, "-")}`;
          const value = make();
          const head = await provider.put(tenant, name, value, { metadata: { "pv-digest": "d1" } });
          expect(head.name).toBe(name);
          expect(head.managed).toBe(true);
          const got = await provider.get(tenant, name);
          expect(got.value.equals(value)).toBe(true);
          expect(got.name).toBe(name);
          expect(got.version).toBe(head.version);
        },
        slow,
      );
    }

    it("refuses a value one byte over maxValueBytes with TooLargeError before writing", async () => {
      const { provider, tenant } = ctx();
      const name = "rt/too-large";
      const err = await rejection(provider.put(tenant, name, Buffer.alloc(provider.capabilities.maxValueBytes + 1, 1)));
      expect(err).toBeInstanceOf(TooLargeError);
      expect(err.message).toMatch(/bytes|size|large/i);
      expect(await exists(provider, tenant, name)).toBe(false);
    });

    it("returns the caller's metadata in head() and get()", async () => {
      const { provider, tenant } = ctx();
      await provider.put(tenant, "rt/meta", Buffer.from("x"), { metadata: { "pv-digest": "hmac:abc", "pv-kv": "3" } });
      const head = await provider.head(tenant, "rt/meta");
      expect(head.metadata["pv-digest"]).toBe("hmac:abc");
      expect(head.metadata["pv-kv"]).toBe("3");
      const got = await provider.get(tenant, "rt/meta");
      expect(got.metadata["pv-digest"]).toBe("hmac:abc");
    });

    it(
      "reads several secrets at once with getMany, leaving out missing names",
      async () => {
        const { provider, tenant } = ctx();
        const names = Array.from({ length: 25 }, (_, i) => `many/s${i}`);
        for (const n of names) await provider.put(tenant, n, Buffer.from(`v-${n}`));
        const got = await provider.getMany(tenant, [...names, "many/absent-1", "many/absent-2"]);
        expect([...got.keys()].sort()).toEqual([...names].sort());
        for (const n of names) expect(got.get(n)?.value.toString()).toBe(`v-${n}`);
      },
      slow,
    );
  });
