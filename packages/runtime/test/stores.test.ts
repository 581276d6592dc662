/** Issue 15.1: the form a store holds a tenant's values in comes from configuration alone. */
import type { Provider, TenantId } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { parseConfig, storeEncryption, tenantStores } from "../src/index.js";

const CONFIG = `
providers:
  local: { type: file }
  copy:  { type: file, dir: ./copy }
  raw:   { type: file, dir: ./raw }
tenants:
  acme:   { primary: local, mirrors: [raw, copy] }
  globex: { primary: local, mirrors: [raw] }
routes:
  acme-out:
    source: local
    targets: [copy, { provider: raw, encryption: native }]
    tenants: [acme]
`;

const fake = (name: string): Provider => ({ name }) as Provider;

describe("stores and their encryption", () => {
  it("a store is native only where a route covering the tenant says so; a primary never is", () => {
    const c = parseConfig(CONFIG, "polyvault.yaml", {});
    expect(storeEncryption(c, "acme", "raw")).toBe("native");
    expect(storeEncryption(c, "acme", "copy")).toBe("envelope");
    expect(storeEncryption(c, "globex", "raw")).toBe("envelope");
    const stores = tenantStores(c, "acme" as TenantId, { primary: fake("local"), mirrors: [fake("raw"), fake("copy")] }, fake);
    expect(stores.map((s) => [s.provider.name, s.role, s.encryption])).toEqual([
      ["local", "primary", "envelope"],
      ["raw", "mirror", "native"],
      ["copy", "mirror", "envelope"],
    ]);
  });

  it("refuses two routes that put one store in two forms for the same tenants", () => {
    const clash = `${CONFIG}  all-out:\n    source: local\n    targets: [raw]\n    tenants: "*"\n`;
    let message = "";
    try {
      parseConfig(clash, "polyvault.yaml", {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      "routes.all-out.targets.0: 'raw' has encryption envelope here but native in route acme-out, for the same tenants; one store holds one form",
    );
    const apart = `${CONFIG}  globex-out:\n    source: local\n    targets: [raw]\n    tenants: [globex]\n`;
    expect(parseConfig(apart, "polyvault.yaml", {}).routes?.["globex-out"]).toBeDefined();
  });
});
