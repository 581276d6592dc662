import { InvalidInputError, type Provider, type TenantId } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import type { Section } from "../context.js";
import { exists, rejection } from "../fixtures.js";

/** Names that stress every provider's mapping: case, separators, nesting, length. */
const EDGE_NAMES = [
  "A_B",
  "a_b",
  "A-B",
  "a-b",
  "AB",
  "ab",
  "a.b",
  "a/b",
  "a--b",
  "a__b",
  "db",
  "db/url",
  "db/url/replica",
  ".env",
  "x.y.z",
  "SPOTIFY_CLIENT_SECRET",
  "spotify_client_secret",
  "n".repeat(64),
  `deep/${"s/".repeat(20)}leaf`,
  "Z".repeat(256),
];

export const namesSection: Section = (ctx, slow) =>
  describe("name mapping", () => {
    it(
      "holds every edge-case name it accepts as a distinct secret, and refuses the rest before writing",
      async () => {
        const { provider, tenant } = ctx();
        const accepted: string[] = [];
        for (const name of EDGE_NAMES) {
          const fit = provider.nameFits(tenant, name);
          if (fit.ok) {
            accepted.push(name);
            continue;
          }
          expect(fit.reason.length).toBeGreaterThan(0);
          await expectRefused(provider, tenant, name);
        }
        // Every provider must hold the basic, portable names.
        for (const portable of ["a-b", "db", "SPOTIFY_CLIENT_SECRET", "n".repeat(64)]) expect(accepted).toContain(portable);
        for (const name of accepted) await provider.put(tenant, name, Buffer.from(`value of ${name}`));
        for (const name of accepted) {
          const got = await provider.get(tenant, name);
          expect(got.value.toString()).toBe(`value of ${name}`);
          expect(got.name).toBe(name);
        }
      },
      slow,
    );

    it("maps distinct names to distinct native names", async () => {
      const { provider, tenant, other, options } = ctx();
      const natives = new Map<string, string>();
      for (const t of [tenant, other]) {
        for (const name of EDGE_NAMES) {
          const fit = provider.nameFits(t, name);
          if (!fit.ok) continue;
          const key = options.nativeNamesCaseInsensitive ? fit.nativeName.toLowerCase() : fit.nativeName;
          expect(natives.has(key), `${t}/${name} collides with ${natives.get(key)}`).toBe(false);
          natives.set(key, `${t}/${name}`);
        }
      }
    });

    it(
      "refuses the names this provider documents as impossible",
      async () => {
        const { provider, tenant, options } = ctx();
        for (const name of options.refusedNames ?? []) {
          const fit = provider.nameFits(tenant, name);
          expect(fit.ok, `${name} should not fit`).toBe(false);
          await expectRefused(provider, tenant, name);
        }
      },
      slow,
    );
  });

async function expectRefused(provider: Provider, tenant: TenantId, name: string): Promise<void> {
  const err = await rejection(provider.put(tenant, name, Buffer.from("x")));
  expect(err).toBeInstanceOf(InvalidInputError);
  expect(err.message).toContain(name.length > 40 ? name.slice(0, 20) : name);
  // Nothing was written: the name is not there (a refused name may also be refused by head()).
  try {
    expect(await exists(provider, tenant, name)).toBe(false);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
  }
}
