/**
 * Push-on-write inside the gateway under concurrent writes: changes queue per source and tenant, so
 * no push loses the route lease to another push of the same process and every change reaches the mirror.
 */
import { type TenantId, listAll } from "@polyvault/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

describe("push-on-write under concurrent writes", () => {
  let b: Bed;
  beforeAll(async () => {
    b = await bed();
  });
  afterAll(async () => {
    await b.close();
  });

  it("30 concurrent writes (10 names × 3 versions) all reach the mirror at their last version", async () => {
    const admin = bearer(TOKENS.admin);
    for (let round = 1; round <= 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          b.app.inject({ method: "PUT", url: `/v1/tenants/acme/secrets/K${i}`, headers: admin, payload: { value: `v${round}-${i}` } }),
        ),
      );
      expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(200));
    }
    await b.app.gateway.scopes.flushPushes();
    expect(b.app.gateway.scopes.pushErrors).toEqual([]);
    expect(b.app.gateway.activity.runs.filter((r) => r.source === "push").every((r) => r.ok && !r.skipped)).toBe(true);
    const mirrored = new Map<string, string | undefined>();
    for await (const h of listAll(b.rt.provider("mirror"), "acme" as TenantId)) mirrored.set(h.name, h.metadata["pv-rev"]);
    expect(Object.fromEntries(mirrored)).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`K${i}`, "3"])));
  });
});
