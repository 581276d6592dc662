import type { TenantId } from "@polyvault/core";
import { InvalidInputError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { checkPathOption, createVaultNameCodec } from "../src/index.js";

const t = (s: string) => s as TenantId;

describe("vault name codec", () => {
  const codec = createVaultNameCodec();

  it("maps to <prefix>/<tenant>/<name> and back", () => {
    for (const [tenant, name] of [
      ["acme", "SPOTIFY_CLIENT_SECRET"],
      ["a", "db/url"],
      ["x_y-z", "a.b/c-d/e_f"],
      ["acme", ".env"],
      ["acme", "a..b"],
      ["acme", `deep/${"s/".repeat(20)}leaf`],
      ["acme", "Z".repeat(256)],
    ] as const) {
      const r = codec.encode(t(tenant), name);
      expect(r).toEqual({ ok: true, nativeName: `polyvault/${tenant}/${name}` });
      if (r.ok) expect(codec.decode(t(tenant), r.nativeName)).toBe(name);
    }
    const custom = createVaultNameCodec("apps/pv");
    expect(custom.encode(t("acme"), "db")).toEqual({ ok: true, nativeName: "apps/pv/acme/db" });
    expect(custom.decode(t("acme"), "apps/pv/acme/db")).toBe("db");
  });

  it("is injective: distinct (tenant, name) pairs never share a path, case included", () => {
    const tenants = ["a", "a-b", "ab", "a_b", "b"];
    const names = ["b/c", "c", "b", "-b/c", "b.c", "B/c", "a/b/c", "db", "db/url", "DB", "A_B", "a_b"];
    const seen = new Map<string, string>();
    for (const tenant of tenants)
      for (const name of names) {
        const r = codec.encode(t(tenant), name);
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        expect(seen.get(r.nativeName)).toBeUndefined();
        seen.set(r.nativeName, `${tenant}|${name}`);
      }
    expect(seen.size).toBe(tenants.length * names.length);
  });

  it("decodes only this tenant's folder and only valid names", () => {
    expect(codec.decode(t("acme"), "polyvault/acme-2/x")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acmex")).toBeUndefined();
    expect(codec.decode(t("acme"), "other/acme/x")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acme/")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acme/a//b")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acme/with space")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acme/a/b")).toBe("a/b");
  });

  it("refuses invalid names and tenants with the rule they break", () => {
    const refused: [string, string, RegExp][] = [
      ["acme", "", /empty/],
      ["acme", "/lead", /start or end/],
      ["acme", "trail/", /start or end/],
      ["acme", "a//b", /empty segment/],
      ["acme", "a/../b", /'\.\.' segment/],
      ["acme", "a/./b", /'\.' or/],
      ["acme", "..", /'\.\.' segment/],
      ["acme", "sp ace", /only contain/],
      ["acme", "q?x", /only contain/],
      ["acme", "pct%2F", /only contain/],
      ["acme", "é", /only contain/],
      ["acme", "n".repeat(257), /longer than 256/],
      ["Acme", "x", /tenant id/],
      ["a/b", "x", /tenant id/],
      ["", "x", /tenant id/],
      ["a".repeat(64), "x", /tenant id/],
    ];
    for (const [tenant, name, why] of refused) {
      const r = codec.encode(t(tenant), name);
      expect(r.ok, `${tenant}|${name}`).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(why);
    }
  });

  it("validates the prefix and the mount once, naming the rule", () => {
    for (const bad of ["", "/pv", "pv/", "a//b", "a/../b", ".", "p v", "p?v"]) {
      expect(() => createVaultNameCodec(bad), bad).toThrow(InvalidInputError);
      expect(() => checkPathOption("mount", bad), bad).toThrow(/segments of/);
    }
    expect(checkPathOption("mount", "kv/team-a")).toBe("kv/team-a");
  });
});
