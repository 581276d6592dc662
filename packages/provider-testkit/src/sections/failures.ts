import { NotFoundError, UnavailableError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import type { Section } from "../context.js";
import { freshTenant, rejection } from "../fixtures.js";

export const failureSection: Section = (ctx, slow) =>
  describe("failures", () => {
    it("health() reports ok with a latency", async () => {
      const h = await ctx().provider.health();
      expect(h.ok).toBe(true);
      expect(h.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it(
      "an unreachable server is UnavailableError, never NotFoundError, within the timeout",
      async () => {
        const { options } = ctx();
        const down = await options.createUnreachable();
        try {
          const tenant = freshTenant("down");
          for (const call of [() => down.get(tenant, "x"), () => down.put(tenant, "x", Buffer.from("v")), () => down.list(tenant)]) {
            const t0 = Date.now();
            const err = await rejection(call());
            expect(err).toBeInstanceOf(UnavailableError);
            expect(err).not.toBeInstanceOf(NotFoundError);
            expect(Date.now() - t0).toBeLessThan(15_000);
          }
          expect((await down.health()).ok).toBe(false);
        } finally {
          await down.close();
        }
      },
      slow,
    );

    it(
      "tenants are isolated: one tenant cannot see another's secret",
      async () => {
        const { provider, tenant, other } = ctx();
        await provider.put(tenant, "iso/mine", Buffer.from("mine"));
        expect(await rejection(provider.get(other, "iso/mine"))).toBeInstanceOf(NotFoundError);
      },
      slow,
    );
  });
