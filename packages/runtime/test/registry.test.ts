/**
 * The provider registry: built-in locations, and a toy provider type added here — package-less, through
 * the registry only — that is accepted in polyvault.yaml, appears in the JSON Schema and in the
 * residency report, and passes the conformance suite through the registry's factory. No other file
 * knows about it: that is the point (docs/architecture.md, "Adding a provider").
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ComplianceStore, dataResidency, defineProvider, initMasterKey, parseTenantId, providerConfigSchema } from "@polyvault/core";
import { createFileProvider, encodeName, encodeVersion } from "@polyvault/provider-file";
import { describeProviderConformance } from "@polyvault/provider-testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BUILTIN_PROVIDERS, Runtime, configJsonSchema, defaultRegistry, parseConfig } from "../src/index.js";

/** The toy keeps its versions in a directory (the file provider's format) and says it sits at `site`. */
const toy = defineProvider({
  type: "toy",
  schema: providerConfigSchema("toy", { site: z.string().min(1), root: z.string().min(1) }),
  location: (config) => config.site,
  async create(config, ctx) {
    return { ...createFileProvider({ name: ctx.name, dir: config.root, timeoutMs: ctx.timeoutMs ?? config.timeoutMs }), type: "toy" };
  },
});
const registry = defaultRegistry.with(toy);
const root = mkdtempSync(join(tmpdir(), "pv-toy-"));
const dataDir = mkdtempSync(join(tmpdir(), "pv-toy-data-"));
const YAML = `providers:\n  local: { type: file }\n  moon: { type: toy, site: moon-base-1, root: "${root}", retries: 1 }\ntenants:\n  acme: { primary: moon, mirrors: [local] }\n`;

describe("the provider registry", () => {
  it("lists each built-in type once, and refuses a type registered twice", () => {
    expect(defaultRegistry.types).toEqual(["file", "aws", "azure", "vault"]);
    expect(BUILTIN_PROVIDERS.map((d) => d.type)).toEqual(defaultRegistry.types);
    expect(() => defaultRegistry.with(BUILTIN_PROVIDERS[1])).toThrow("provider registry: type aws is registered twice");
  });

  it("calls in flight: the configured concurrency, else the type's default (vault 32: two calls per write; others 16)", async () => {
    const c = (config: { type: string } & Record<string, unknown>) => defaultRegistry.concurrency(config);
    expect([c({ type: "file" }), c({ type: "aws" }), c({ type: "azure" }), c({ type: "vault" }), c({ type: "toy" })]).toEqual([16, 16, 16, 32, 16]);
    expect([c({ type: "vault", concurrency: 4 }), c({ type: "aws", concurrency: 64 })]).toEqual([4, 64]);
    // And the runtime's gates are built with them.
    const dir = mkdtempSync(join(tmpdir(), "pv-conc-"));
    (await initMasterKey(dir)).key.fill(0);
    const rt = await Runtime.open({
      dataDir: dir,
      config: {
        providers: {
          local: { type: "file" },
          v: { type: "vault", address: "http://127.0.0.1:9", token: "t" },
          v4: { type: "vault", address: "http://127.0.0.1:9", token: "t", concurrency: 4 },
          a: { type: "aws", region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "x", secretAccessKey: "y" } },
        },
      },
      env: {},
      pushOnWrite: false,
    });
    try {
      expect(["local", "v", "v4", "a"].map((n) => rt.gate(n).concurrency)).toEqual([16, 32, 4, 16]);
    } finally {
      await rt.close();
    }
  });

  it("locates stores: the aws region, the azure and vault hosts, local for files, unknown otherwise", () => {
    const at = (config: { type: string } & Record<string, unknown>) => defaultRegistry.location(config);
    expect(at({ type: "file" })).toBe("local");
    expect(at({ type: "aws", region: "EU-West-1" })).toBe("eu-west-1");
    expect(at({ type: "azure", vaultUrl: "https://Contoso-EU.vault.azure.net/" })).toBe("contoso-eu.vault.azure.net");
    expect(at({ type: "vault", address: "http://vault.eu.example.com:8200" })).toBe("vault.eu.example.com");
    expect(at({ type: "vault", address: "not a url" })).toBe("unknown");
    expect(at({ type: "toy", site: "moon" })).toBe("unknown");
  });
});

describe("a toy provider added through the registry alone", () => {
  it("is accepted in polyvault.yaml with its own and the common options, and only with this registry", () => {
    const c = parseConfig(YAML, "polyvault.yaml", {}, registry);
    expect(c.providers?.moon).toEqual({ type: "toy", site: "moon-base-1", root, retries: 1 });
    expect(() => parseConfig(YAML, "polyvault.yaml", {})).toThrow(/providers\.moon\.type: /);
    expect(() => parseConfig(YAML.replace("site: moon-base-1, ", ""), "polyvault.yaml", {}, registry)).toThrow(/providers\.moon\.site: /);
    expect(() => parseConfig(YAML.replace("retries: 1", "retries: 11"), "polyvault.yaml", {}, registry)).toThrow(/providers\.moon\.retries: /);
  });

  it("appears in the JSON Schema, with its options", () => {
    const text = JSON.stringify(configJsonSchema(registry));
    expect(text).toContain('"type":{"type":"string","const":"toy"}');
    expect(text).toContain('"site":{"type":"string","minLength":1}');
    expect(JSON.stringify(configJsonSchema())).not.toContain('"const":"toy"');
  });

  it("appears in the residency report at its location", async () => {
    (await initMasterKey(dataDir)).key.fill(0);
    const config = parseConfig(YAML, "polyvault.yaml", {}, registry);
    const rt = await Runtime.open({ dataDir, config, env: {}, registry, pushOnWrite: false });
    try {
      const tenant = parseTenantId("acme");
      await rt.manager(tenant).set("db/url", "postgres://toy");
      const stores: ComplianceStore[] = ["moon", "local"].map((name) => ({
        provider: rt.provider(name),
        role: "mirror",
        encryption: "envelope",
        location: rt.location(name),
      }));
      const outcome = await dataResidency({ tenant, settings: { allowedRegions: ["local"] }, stores } as unknown as Parameters<typeof dataResidency>[0]);
      expect(outcome).toEqual({ pass: false, evidence: "outside the allowlist (local): moon in moon-base-1" });
    } finally {
      await rt.close();
    }
  });
});

// The conformance suite, on instances the registry's factory builds.
const conformanceRoot = mkdtempSync(join(tmpdir(), "pv-toy-conformance-"));
const secretDir = (tenant: string, name: string) => join(conformanceRoot, tenant, "s", ...encodeName(name));
const build = (name: string, rootDir: string) =>
  registry.create({ type: "toy", site: "moon", root: rootDir } as { type: string }, { name, dataDir, baseDir: dataDir });
describeProviderConformance({
  name: "toy (through the registry)",
  create: () => build("moon", conformanceRoot),
  createUnreachable: () => {
    const blocker = join(mkdtempSync(join(tmpdir(), "pv-toy-down-")), "not-a-dir");
    writeFileSync(blocker, "");
    return build("down", join(blocker, "store"));
  },
  async seedUnmanaged(tenant, name, value) {
    const d = secretDir(tenant, name);
    await mkdir(d, { recursive: true });
    writeFileSync(join(d, "v0000000001.pv"), encodeVersion({ name, tenant, managed: false, metadata: {}, createdAt: new Date().toISOString() }, value));
  },
  async readRaw(tenant, name) {
    const d = secretDir(tenant, name);
    const last = (await readdir(d))
      .filter((f) => f.endsWith(".pv"))
      .sort()
      .at(-1);
    if (!last) return undefined;
    const buf = await readFile(join(d, last));
    return buf.subarray(8 + buf.readUInt32BE(4));
  },
});
