/**
 * Issue 15 finding 12 (the request-id part): a client's X-Request-Id must not reach the audit log
 * unfiltered. Only a plain token (8–128 of letters, digits, `. _ : -`) is kept; anything else — a line
 * break, a quote, a forged JSON fragment, 10 000 characters, Unicode — is replaced by a fresh UUID, in
 * the answer's header and in the audit record alike. (This held on main already: genReqId filters;
 * the test pins it.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("X-Request-Id", () => {
  let b: Bed;
  beforeAll(async () => {
    b = await bed();
    await b.app.inject({
      method: "PUT",
      url: "/v1/tenants/acme/secrets/K",
      headers: { ...bearer(TOKENS.admin), "content-type": "application/json" },
      payload: { value: "v" },
    });
  });
  afterAll(async () => {
    await b.close();
  });

  it("keeps a plain token and replaces anything else, in the header and the audit record", async () => {
    const kept = await b.app.inject({
      method: "GET",
      url: "/v1/tenants/acme/secrets/K",
      headers: { ...bearer(TOKENS.admin), "x-request-id": "req-0001.a:b_c" },
    });
    expect(kept.headers["x-request-id"]).toBe("req-0001.a:b_c");
    const hostile = [
      'x","actor":"root","outcome":"ok',
      "line\\nbreak-injected",
      "short",
      "x".repeat(10_000),
      "réq-üñí-cödé-1234",
      "a b c d e f g h",
      "<script>alert(1)</script>",
    ];
    for (const id of hostile) {
      const r = await b.app.inject({ method: "GET", url: "/v1/tenants/acme/secrets/K", headers: { ...bearer(TOKENS.admin), "x-request-id": id } });
      expect(r.statusCode).toBe(200);
      expect(r.headers["x-request-id"]).toMatch(UUID);
    }
    const audit = readFileSync(join(b.dir, "data", "audit.log"), "utf8");
    const ids = audit
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { requestId?: string }).requestId)
      .filter((x): x is string => x !== undefined);
    expect(ids).toContain("req-0001.a:b_c");
    for (const id of ids) expect(id === "req-0001.a:b_c" || UUID.test(id), id.slice(0, 40)).toBe(true);
    for (const id of hostile) expect(audit).not.toContain(id.slice(0, 24));
  });
});
