/**
 * Issue 15 finding 10, over HTTP: built-in property names as a tenant id, a secret name, a label key
 * and an alphabet — kept as themselves or refused as a 400, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, JSON_TYPE, TOKENS, bearer, bed } from "./helpers.js";

describe("built-in property names over HTTP", () => {
  let b: Bed;
  const h = { ...bearer(TOKENS.admin), ...JSON_TYPE };
  beforeAll(async () => {
    b = await bed();
  });
  afterAll(async () => {
    await b.close();
  });

  it("tenant constructor and secrets named constructor, __proto__, toString round-trip", async () => {
    for (const name of ["constructor", "__proto__", "toString"]) {
      const put = await b.app.inject({
        method: "PUT",
        url: `/v1/tenants/constructor/secrets/${name}`,
        headers: h,
        payload: { value: `v-${name}`, labels: { constructor: "c" } },
      });
      expect(put.statusCode, name).toBe(200);
      const got = await b.app.inject({ method: "GET", url: `/v1/tenants/constructor/secrets/${name}`, headers: bearer(TOKENS.admin) });
      expect(got.json()).toMatchObject({ tenant: "constructor", name, value: `v-${name}`, labels: { constructor: "c" } });
    }
    const list = await b.app.inject({ method: "GET", url: "/v1/tenants/constructor/secrets", headers: bearer(TOKENS.admin) });
    expect((list.json() as { secrets: Array<{ name: string }> }).secrets.map((s) => s.name).sort()).toEqual(["__proto__", "constructor", "toString"]);
  });

  it("a rotate with alphabet constructor generates from those characters (it was a 500)", async () => {
    const r = await b.app.inject({
      method: "POST",
      url: "/v1/tenants/constructor/secrets/toString/rotate",
      headers: h,
      payload: { alphabet: "constructor", length: 40 },
    });
    expect(r.statusCode).toBe(200);
    const v = (await b.app.inject({ method: "GET", url: "/v1/tenants/constructor/secrets/toString", headers: bearer(TOKENS.admin) })).json() as {
      value: string;
    };
    expect([...v.value].every((c) => "constructor".includes(c))).toBe(true);
  });

  it("a __proto__ label key is refused with 400, and nothing is stored", async () => {
    const r = await b.app.inject({ method: "PUT", url: "/v1/tenants/acme/secrets/P", headers: h, payload: '{"value":"x","labels":{"__proto__":"y"}}' });
    expect(r.statusCode).toBe(400);
    expect((r.json() as { error: { code: string } }).error.code).toBe("INVALID_INPUT");
    expect((await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/P", headers: bearer(TOKENS.admin) })).statusCode).toBe(404);
  });
});
