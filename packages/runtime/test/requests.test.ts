/**
 * RequestScopes: a request acts through a view of its tenant's manager that carries its principal and
 * request id (no ambient context). Each request's operations are authorized for its own principal and
 * recorded with its own id, also when requests of different principals interleave; the shared manager
 * refuses to run an operation outside a request, and changes nothing then.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessDeniedError, InternalError, tokenSha256 } from "@polyvault/core";
import { afterEach, describe, expect, it } from "vitest";
import { RequestScopes, Runtime } from "../src/index.js";
import { auditRecords } from "./helpers.js";

const sha = tokenSha256;
const config = {
  providers: { local: { type: "file" as const } },
  access: {
    principals: {
      root: { tokenSha256: sha("root-tok"), roles: [{ role: "admin" as const, tenants: ["*"] }] },
      reader: { tokenSha256: sha("reader-tok"), roles: [{ role: "reader" as const, tenants: ["acme"] }] },
    },
  },
};
const records = (dataDir: string) => auditRecords(dataDir).filter((e) => e.tenant === "acme");

let rt: Runtime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

describe("RequestScopes", () => {
  it("each request's view acts as its principal with its id; interleaved requests do not mix", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-scopes-"));
    rt = await Runtime.open({ dataDir, config, env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: "root-tok" } });
    const scopes = new RequestScopes(rt);
    await scopes.manager("acme", { principal: "root", requestId: "req-root-0" }).set("db/url", "v1");
    // 20 requests of two principals in flight at once: the reader may read, never write.
    const runs = Array.from({ length: 20 }, (_, i) => {
      const scope = { principal: i % 2 ? "reader" : "root", requestId: `req-${i}` };
      const m = scopes.manager("acme", scope);
      return i % 4 === 1
        ? m.set("db/url", `w${i}`).then(
            () => "written",
            (e: unknown) => e,
          )
        : m.get("db/url").then((v) => {
            v.wipe();
            return "read";
          });
    });
    const out = await Promise.all(runs);
    out.forEach((o, i) => {
      if (i % 4 === 1) expect(o).toBeInstanceOf(AccessDeniedError);
      else expect(o).toBe("read");
    });
    const byRequest = new Map(records(dataDir).map((r) => [`${r.requestId}/${r.outcome}`, r.actor]));
    for (let i = 0; i < 20; i++) {
      const final = i % 4 === 1 ? "denied" : "ok";
      expect(byRequest.get(`req-${i}/${final}`), `req-${i}`).toBe(i % 2 ? "reader" : "root");
    }
    // The views share the tenant's manager: its metrics count every request.
    expect(scopes.manager("acme").metrics.secretAccessCount).toBe(15);
  });

  it("the tenant's shared manager refuses an operation outside a request, and nothing is written or recorded", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-scopes-"));
    rt = await Runtime.open({ dataDir, config, env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: "root-tok" } });
    const scopes = new RequestScopes(rt);
    const before = records(dataDir).length;
    const err = await scopes
      .manager("acme")
      .set("db/url", "v1")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).toBe("a gateway operation ran outside a request scope (RequestScopes.manager(tenant, scope))");
    expect(records(dataDir).length).toBe(before);
    const read = await scopes.manager("acme", { principal: "root", requestId: "r1" }).list();
    expect(read).toEqual([]);
  });

  it("scopeOf: the request's principal, else the runtime's actor; the runtime must have security steps", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-scopes-"));
    rt = await Runtime.open({ dataDir, config, env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: "root-tok" } });
    const scopes = new RequestScopes(rt);
    expect(scopes.scopeOf({ principal: "reader", id: "r-1" })).toEqual({ principal: "reader", requestId: "r-1" });
    expect(scopes.scopeOf({ id: "r-2" })).toEqual({ principal: scopes.localActor, requestId: "r-2" });
    expect(scopes.caller({ principal: "reader", requestId: "r-3" })).toMatchObject({ principal: "reader", actor: "reader", requestId: "r-3" });
    const bare = { options: {}, config: {} } as unknown as Runtime;
    expect(() => new RequestScopes(bare)).toThrow("the runtime has no security steps (open it with Runtime.open)");
  });
});
