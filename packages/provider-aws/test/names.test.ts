import type { TenantId } from "@polyvault/core";
import { InvalidInputError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { AWS_NAME_MAX, PREFIX_MAX, createAwsNameCodec } from "../src/names.js";

const t = (s: string) => s as TenantId;
const AWS_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

describe("aws name codec", () => {
  const codec = createAwsNameCodec();

  it("maps to <prefix>/<tenant>/<name> and back", () => {
    for (const [tenant, name] of [
      ["acme", "SPOTIFY_CLIENT_SECRET"],
      ["a", "db/url"],
      ["x_y-z", "a.b/c-d/e_f"],
      ["acme", "db-passwd"], // ends in '-' + six characters: safe, we never use partial ARNs
    ] as const) {
      const r = codec.encode(t(tenant), name);
      expect(r).toEqual({ ok: true, nativeName: `polyvault/${tenant}/${name}` });
      if (!r.ok) continue;
      expect(r.nativeName).toMatch(AWS_NAME);
      expect(codec.decode(t(tenant), r.nativeName)).toBe(name);
    }
  });

  it("fits the longest tenant and name with the longest prefix", () => {
    const long = createAwsNameCodec("p".repeat(PREFIX_MAX));
    const r = long.encode(t(`a${"b".repeat(62)}`), "n".repeat(256));
    expect(r.ok && r.nativeName.length).toBe(AWS_NAME_MAX);
    expect(() => createAwsNameCodec("p".repeat(PREFIX_MAX + 1))).toThrow(InvalidInputError);
  });

  it("is injective: distinct (tenant, name) pairs never share a native name", () => {
    const tenants = ["a", "a-b", "ab", "a_b", "b"];
    const names = ["b/c", "c", "b", "-b/c", "b.c", "B/c", "a/b/c"];
    const seen = new Map<string, string>();
    for (const tenant of tenants)
      for (const name of names) {
        const r = codec.encode(t(tenant), name);
        if (!r.ok) continue;
        expect(seen.get(r.nativeName)).toBeUndefined();
        seen.set(r.nativeName, `${tenant}|${name}`);
      }
    expect(seen.size).toBe(tenants.length * names.length);
  });

  it("decodes only this tenant's namespace", () => {
    expect(codec.decode(t("acme"), "polyvault/acme-2/x")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acmex")).toBeUndefined();
    expect(codec.decode(t("acme"), "other/acme/x")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acme/")).toBeUndefined();
    expect(codec.decode(t("acme"), "polyvault/acme/a//b")).toBeUndefined(); // not a valid secret name
    expect(codec.decode(t("acme"), "polyvault/acme/a+b")).toBeUndefined();
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
      ["acme", "sp ace", /only contain/],
      ["acme", "plus+", /only contain/],
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

  it("validates the prefix", () => {
    expect(createAwsNameCodec("team/polyvault").encode(t("acme"), "x")).toEqual({ ok: true, nativeName: "team/polyvault/acme/x" });
    for (const bad of ["", "/p", "p/", "a//b", "sp ace", "é"]) expect(() => createAwsNameCodec(bad), bad).toThrow(InvalidInputError);
  });
});
