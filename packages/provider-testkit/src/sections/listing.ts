import { listAll } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import type { Section } from "../context.js";
import { mapLimit } from "../fixtures.js";

export const listingSection: Section = (ctx, slow) =>
  describe("listing", () => {
    it(
      "lists every secret exactly once across pages, with heads, and no other tenant's",
      async () => {
        const { provider, tenant, other, options } = ctx();
        const count = options.listCount ?? 1000;
        const names = Array.from({ length: count }, (_, i) => `page/${String(i).padStart(5, "0")}`);
        await mapLimit(names, 16, (n) => provider.put(tenant, n, Buffer.from(n), { metadata: { "pv-digest": `d-${n}` } }));
        await provider.put(other, "page/foreign", Buffer.from("foreign"));

        const pageSize = Math.min(100, provider.capabilities.maxPageSize);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await provider.list(tenant, { cursor, pageSize });
          expect(page.items.length).toBeLessThanOrEqual(pageSize);
          for (const head of page.items) {
            if (!head.name.startsWith("page/")) continue;
            seen.push(head.name);
            expect(head.managed).toBe(true);
            expect(head.metadata["pv-digest"]).toBe(`d-${head.name}`);
            expect(typeof head.version).toBe("string");
          }
          cursor = page.cursor;
          pages++;
        } while (cursor !== undefined && pages < 10_000);
        expect(pages).toBeGreaterThan(1);
        expect(seen.length).toBe(count);
        expect(new Set(seen).size).toBe(count);
        expect([...seen].sort()).toEqual(names);

        const foreign: string[] = [];
        for await (const h of listAll(provider, other)) foreign.push(h.name);
        expect(foreign).toEqual(["page/foreign"]);
      },
      Math.max(slow, 300_000),
    );
  });
