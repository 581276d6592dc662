import { NotFoundError, UnavailableError } from "@polyvault/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Section } from "../context.js";
import { type DeadEndpoints, deadEndpoints } from "../dead-endpoints.js";
import { freshTenant } from "../fixtures.js";

/** The timeoutMs the suite configures on a provider pointed at a dead endpoint. */
export const DEAD_TIMEOUT_MS = 1500;
/**
 * The deadline check: a call against a server that never answers may only return once its deadline
 * has passed, and must return by twice the deadline plus a second (room for a loaded 2-core machine's
 * scheduling; a provider that ignores the deadline hangs far longer, or forever).
 */
const bound = (timeoutMs: number) => 2 * timeoutMs + 1000;
const CANARY = "canary-value-unreachable";

/**
 * Every operation against a port that refuses connections, a server that accepts and never answers,
 * and an HTTP server that is not the service: UnavailableError (never NotFound), no value in the error,
 * within the deadline. Registered only for network providers (those that give `createAt`).
 */
export const unreachableSection: Section = (ctx) =>
  describe("when the server is not there (dead endpoints)", () => {
    let dead: DeadEndpoints | undefined;
    const measured: string[] = [];
    beforeAll(async () => {
      dead = await deadEndpoints();
    });
    afterAll(async () => {
      await dead?.close();
      if (measured.length) console.info(`[conformance ${ctx().options.name}] dead-endpoint calls (ms, deadline ${DEAD_TIMEOUT_MS}): ${measured.join(", ")}`);
    });

    const kinds = [
      ["a port that refuses connections", (d: DeadEndpoints) => d.refusedPort, false],
      ["a server that accepts and never answers", (d: DeadEndpoints) => d.silentPort, true],
      ["an HTTP server that is not the service", (d: DeadEndpoints) => d.notTheServicePort, false],
    ] as const;
    for (const [label, port, silent] of kinds) {
      it(`${label}: every call is UnavailableError within the deadline, no value in the error`, async () => {
        const { options } = ctx();
        if (!options.createAt || !dead) throw new Error("the dead-endpoints section runs only for providers that give createAt");
        const provider = await options.createAt(port(dead), DEAD_TIMEOUT_MS);
        const tenant = freshTenant("dead");
        try {
          const calls: Array<[string, () => Promise<unknown>]> = [
            ["head", () => provider.head(tenant, "db/url")],
            ["get", () => provider.get(tenant, "db/url")],
            ["getMany", () => provider.getMany(tenant, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])],
            ["put", () => provider.put(tenant, "db/url", Buffer.from(CANARY))],
            ["delete", () => provider.delete(tenant, "db/url")],
            ["versions", () => provider.versions(tenant, "db/url")],
            ["list", () => provider.list(tenant)],
          ];
          for (const [name, call] of calls) {
            const start = performance.now();
            const err = await call().then(
              () => undefined,
              (e: unknown) => e,
            );
            const elapsed = performance.now() - start;
            measured.push(`${name}@${label.split(" ")[2]}=${Math.round(elapsed)}`);
            expect(err, `${name} succeeded against ${label}`).toBeInstanceOf(UnavailableError);
            expect(err).not.toBeInstanceOf(NotFoundError);
            expect(String((err as Error).message)).not.toContain(CANARY);
            expect(String((err as Error).cause)).not.toContain(CANARY);
            // A silent server can only be given up on by the deadline: returning earlier would mean the
            // call never waited for an answer; returning much later means the deadline was ignored.
            if (silent) expect(elapsed, `${name} returned before its deadline`).toBeGreaterThanOrEqual(DEAD_TIMEOUT_MS * 0.9);
            expect(elapsed, `${name} took ${Math.round(elapsed)} ms for a ${DEAD_TIMEOUT_MS} ms deadline`).toBeLessThan(bound(DEAD_TIMEOUT_MS));
          }
          const start = performance.now();
          expect((await provider.health()).ok).toBe(false);
          expect(performance.now() - start).toBeLessThan(bound(DEAD_TIMEOUT_MS));
        } finally {
          await provider.close();
        }
      }, 60_000);
    }
  });
