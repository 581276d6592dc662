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
      "an unreachable store is UnavailableError, never NotFoundError (deadlines: the dead-endpoints section)",
      async () => {
        const { options } = ctx();
        const down = await options.createUnreachable();
        try {
          const tenant = freshTenant("down");
          for (const call of [() => down.get(tenant, "x"), () => down.put(tenant, "x", Buffer.from("v")), () => down.list(tenant)]) {
            const err = await rejection(call());
            expect(err).toBeInstanceOf(UnavailableError);
            expect(err).not.toBeInstanceOf(NotFoundError);
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
