import { ConflictError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import type { Section } from "../context.js";
import { rejection } from "../fixtures.js";

export const ownershipSection: Section = (ctx, slow) =>
  describe("ownership: a secret Polyvault did not write is never modified or deleted", () => {
    it(
      "reports it as unmanaged, reads it, and refuses to overwrite or delete it",
      async () => {
        const { provider, tenant, options } = ctx();
        const name = "owned/by-someone-else";
        const original = Buffer.from("written by another tool");
        await options.seedUnmanaged(tenant, name, original);

        const head = await provider.head(tenant, name);
        expect(head.managed).toBe(false);
        const got = await provider.get(tenant, name);
        expect(got.managed).toBe(false);

        const attempts = [
          () => provider.put(tenant, name, Buffer.from("polyvault value")),
          () => provider.put(tenant, name, Buffer.from("polyvault value"), { ifVersion: head.version }),
          () => provider.delete(tenant, name),
          () => provider.delete(tenant, name, { purge: true }),
        ];
        for (const attempt of attempts) {
          const err = await rejection(attempt());
          expect(err).toBeInstanceOf(ConflictError);
          expect(err.message).toMatch(/not managed|unmanaged|not written by polyvault/i);
          expect((await options.readRaw(tenant, name))?.equals(original)).toBe(true);
        }
      },
      slow,
    );

    it(
      "lists unmanaged secrets in the tenant's namespace as managed: false",
      async () => {
        const { provider, tenant, options } = ctx();
        await options.seedUnmanaged(tenant, "owned/listed", Buffer.from("x"));
        let found: boolean | undefined;
        let cursor: string | undefined;
        do {
          const page = await provider.list(tenant, { cursor });
          const h = page.items.find((i) => i.name === "owned/listed");
          if (h) found = h.managed;
          cursor = page.cursor;
        } while (cursor !== undefined);
        expect(found).toBe(false);
      },
      slow,
    );
  });
