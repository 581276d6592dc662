import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/index.js";

const DOCS_EXAMPLE = `
providers:
  local: { type: file }
  aws:   { type: aws, region: us-east-1, endpoint: "http://127.0.0.1:4566",
           credentials: { accessKeyId: test, secretAccessKey: test } }
  azure: { type: azure, vaultUrl: "https://localhost:8443",
           credential: { kind: static, token: dummy },
           tls: { rejectUnauthorized: false }, disableChallengeResourceVerification: true }
  vault: { type: vault, address: "http://127.0.0.1:8200", token: "\${VAULT_TOKEN}", mount: secret }
tenants:
  acme:   { primary: aws, mirrors: [azure, vault] }
  globex: { primary: local }
routes:
  acme-mirror:
    source: aws
    targets: [azure, { provider: vault, encryption: native }]
    tenants: [acme]
    schedule: "*/5 * * * *"
    prune: true
    conflict: source-wins
`;

const fails = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, "polyvault.yaml", env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the configuration to be refused");
};

describe("polyvault.yaml", () => {
  it("accepts docs/configuration.md's example and substitutes environment variables", () => {
    const c = parseConfig(DOCS_EXAMPLE, "polyvault.yaml", { VAULT_TOKEN: "tok" });
    expect(c.providers?.vault).toMatchObject({ type: "vault", token: "tok" });
    expect(c.tenants?.acme?.mirrors).toEqual(["azure", "vault"]);
  });

  it("names an unset environment variable", () => {
    expect(fails(DOCS_EXAMPLE)).toBe("polyvault.yaml: providers.vault.token: environment variable VAULT_TOKEN is not set");
  });

  it("refuses unknown keys with their path", () => {
    expect(fails("providers:\n  local: { type: file, dri: /tmp }\n")).toMatch(/providers\.local: Unrecognized key: "dri"/);
    expect(fails("provider:\n  local: { type: file }\n")).toMatch(/\(top level\): Unrecognized key: "provider"/);
  });

  it("refuses references to providers that do not exist, and other cross-field mistakes", () => {
    const msg = fails(
      "providers:\n  local: { type: file }\ntenants:\n  acme: { primary: aws, mirrors: [local, local] }\nroutes:\n  r: { source: local, targets: [local, nope], tenants: '*' }\n",
    );
    expect(msg).toContain("tenants.acme.primary: no provider named 'aws' in providers");
    expect(msg).toContain("routes.r.targets.0: 'local' is the route's source");
    expect(msg).toContain("routes.r.targets.1: no provider named 'nope' in providers");
  });

  it("refuses bad values with a path a person can act on", () => {
    expect(fails("providers:\n  x: { type: ftp }\n")).toMatch(/providers\.x\.type/);
    expect(fails("tenants:\n  ../x: { primary: local }\n")).toMatch(/tenants/);
    expect(fails("providers: [1, 2\n")).toMatch(/not valid YAML/);
  });
});

describe("docs/polyvault.schema.json", () => {
  it("is the JSON Schema generated from the zod schema (run `npm run schema` after changing it)", async () => {
    const { readFileSync } = await import("node:fs");
    const { configJsonSchema } = await import("../src/index.js");
    const committed = JSON.parse(readFileSync(new URL("../../../docs/polyvault.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});
