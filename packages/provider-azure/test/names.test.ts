import { parseTenantId } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { AZURE_NAME_MAX, createAzureNameCodec, decodePart, encodePart } from "../src/index.js";

const tenant = parseTenantId("acme");
const codec = createAzureNameCodec();
const AZURE_CHARS = /^[0-9a-z-]{1,127}$/;

const native = (t: string, name: string): string => {
  const fit = codec.encode(parseTenantId(t), name);
  if (!fit.ok) throw new Error(`${name}: ${fit.reason}`);
  return fit.nativeName;
};

describe("azure name codec", () => {
  const names = [
    "A_B",
    "a_b",
    "A-B",
    "a-b",
    "AB",
    "ab",
    "Ab",
    "aB",
    "a.b",
    "a/b",
    "a--b",
    "a__b",
    "-",
    "_",
    ".env",
    "x.y.z",
    "db/url/replica",
    "SPOTIFY_CLIENT_SECRET",
    "spotify_client_secret",
    "Spotify_Client_Secret",
    "9",
    "n".repeat(64),
  ];

  it("round-trips every name and writes only lowercase Azure characters", () => {
    for (const name of names) {
      const n = native("acme", name);
      expect(n).toMatch(AZURE_CHARS);
      expect(codec.decode(tenant, n)).toBe(name);
      // Azure may hand the name back in another case: it is the same secret.
      expect(codec.decode(tenant, n.toUpperCase())).toBe(name);
    }
  });

  it("is injective even when Azure folds case", () => {
    const seen = new Map<string, string>();
    for (const t of ["acme", "acme-b", "acme_b", "a", "b0"]) {
      for (const name of names) {
        const key = native(t, name).toLowerCase();
        expect(seen.get(key), `${t}/${name}`).toBeUndefined();
        seen.set(key, `${t}/${name}`);
      }
    }
  });

  it("keeps tenants apart: no native name of one tenant decodes in another", () => {
    for (const name of names) {
      expect(codec.decode(parseTenantId("acme-b"), native("acme", name))).toBeUndefined();
      expect(codec.decode(parseTenantId("acme"), native("acme-b", name))).toBeUndefined();
      expect(createAzureNameCodec("other").decode(tenant, native("acme", name))).toBeUndefined();
    }
  });

  it("encodes compactly and readably", () => {
    expect(encodePart("SPOTIFY_CLIENT_SECRET")).toBe("-cspotify-uclient-usecret");
    expect(encodePart("db/url")).toBe("db-surl");
    expect(native("acme", "a-b")).toBe("polyvault--acme--a-hb");
  });

  it("ignores native names that are not canonical encodings", () => {
    for (const bad of ["-c-cab", "a-x", "a-", "-", "a_b", "ab-c"]) expect(decodePart(bad)).toBeUndefined();
    expect(codec.decode(tenant, "polyvault--acme--")).toBeUndefined(); // empty name
    expect(codec.decode(tenant, "unrelated-secret")).toBeUndefined();
  });

  it("refuses, naming the 127-character limit, a name that encodes too long", () => {
    const fit = codec.encode(tenant, "Z".repeat(256));
    expect(fit.ok).toBe(false);
    if (!fit.ok) expect(fit.reason).toMatch(/127/);
    // The longest lowercase name that fits, and one more character.
    const room = AZURE_NAME_MAX - "polyvault--acme--".length;
    expect(codec.encode(tenant, "n".repeat(room)).ok).toBe(true);
    expect(codec.encode(tenant, "n".repeat(room + 1)).ok).toBe(false);
  });

  it("refuses invalid tenants, names and prefixes", () => {
    for (const name of ["", "/a", "a/", "a//b", "a/../b", "a b", "é"]) expect(codec.encode(tenant, name).ok).toBe(false);
    expect(codec.encode("Bad Tenant" as never, "a").ok).toBe(false);
    for (const prefix of ["", "a--b", "-a", "a-", "a_b", "x".repeat(41)]) expect(() => createAzureNameCodec(prefix)).toThrow(/prefix/);
    expect(createAzureNameCodec("PV").prefix).toBe("pv");
  });
});
