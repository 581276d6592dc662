/**
 * Issue 16 finding 8: sync over the gateway ignored a grant's `secrets` globs — an operator limited to
 * `public/*` planned and applied every name in the tenant. Plan and apply now see and touch only the
 * names the caller's globs allow.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, JSON_TYPE, TOKENS, accessConfig, bearer, bed, seg, sha } from "./helpers.js";

const PUBLIC_OP = "tok-public-operator-77";

describe("sync over HTTP, for an operator limited by secret globs", () => {
  let b: Bed;
  const post = (url: string, token: string, payload: object) => b.app.inject({ method: "POST", url, headers: { ...bearer(token), ...JSON_TYPE }, payload });
  const mirrored = () => {
    const dir = join(b.dir, "mirror-store", "acme", "s");
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };

  beforeAll(async () => {
    const access = accessConfig();
    b = await bed({
      pushOnWrite: false,
      config: {
        access: {
          ...access,
          principals: { ...access.principals, pubop: { tokenSha256: sha(PUBLIC_OP), roles: [{ role: "operator", tenants: ["acme"], secrets: ["public/*"] }] } },
        },
      },
    });
    for (const name of ["public/a", "public/b", "private/key", "TOP"]) {
      const r = await b.app.inject({
        method: "PUT",
        url: `/v1/tenants/acme/secrets/${seg(name)}`,
        headers: { ...bearer(TOKENS.admin), ...JSON_TYPE },
        payload: { value: `v-${name}` },
      });
      expect(r.statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await b.close();
  });

  it("plans only the names its globs allow", async () => {
    const plan = await post("/v1/sync/plan", PUBLIC_OP, { tenant: "acme" });
    expect(plan.statusCode).toBe(200);
    const names = (plan.json() as { actions: Array<{ name: string; action: string }> }).actions.map((a) => `${a.name}:${a.action}`);
    expect(names.sort()).toEqual(["public/a:create", "public/b:create"]);
    // An unrestricted operator still sees every name.
    const all = await post("/v1/sync/plan", TOKENS.operator, { tenant: "acme" });
    expect((all.json() as { actions: Array<{ name: string }> }).actions.map((a) => a.name).sort()).toEqual(["TOP", "private/key", "public/a", "public/b"]);
  });

  it("applies only those names: the others stay out of the mirror", async () => {
    const apply = await post("/v1/sync/apply", PUBLIC_OP, { tenant: "acme" });
    expect(apply.statusCode).toBe(200);
    expect((apply.json() as { runs: Array<{ counts: { created: number } }> }).runs[0]?.counts.created).toBe(2);
    expect(mirrored()).toEqual(["public~a", "public~b"]);
  });
});
