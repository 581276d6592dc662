import { parseTenantId, TooLargeError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../src/list.js";
import { AZURE_VALUE_MAX_CHARS, BYTES_CONTENT_TYPE, MAX_VALUE_BYTES, TEXT_CONTENT_TYPE, decodeValue, encodeValue } from "../src/index.js";

const roundTrip = (bytes: Buffer) => {
  const e = encodeValue(bytes, "test");
  return { ...e, back: decodeValue(e.value, e.contentType, "test") };
};

describe("azure value encoding", () => {
  it("stores UTF-8 text as text and anything else as marked base64, both reversibly", () => {
    const text = roundTrip(Buffer.from("mot de passe: é, 秘密 🔐\nline 2\t", "utf8"));
    expect(text.contentType).toBe(TEXT_CONTENT_TYPE);
    expect(text.back.toString("utf8")).toBe("mot de passe: é, 秘密 🔐\nline 2\t");
    for (const bytes of [
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from([0]),
      Buffer.from("a\u0000b"),
      Buffer.from([0xef, 0xbb, 0xbf, 0x41]),
    ]) {
      const r = roundTrip(bytes);
      expect(r.back.equals(bytes)).toBe(true);
      if (r.contentType === BYTES_CONTENT_TYPE) expect(r.value).toMatch(/^[A-Za-z0-9+/=]*$/);
    }
    expect(roundTrip(Buffer.from([0])).contentType).toBe(BYTES_CONTENT_TYPE); // control characters go as base64
  });

  it("accepts exactly maxValueBytes of binary, whose base64 fills Azure's limit, and refuses one byte more", () => {
    const max = encodeValue(Buffer.alloc(MAX_VALUE_BYTES, 0xa5), "test");
    expect(max.value.length).toBe(AZURE_VALUE_MAX_CHARS);
    expect(() => encodeValue(Buffer.alloc(MAX_VALUE_BYTES + 1, 0x01), "test")).toThrow(TooLargeError);
  });

  it("never puts the value in a size error", () => {
    const canary = "CANARY-SECRET-VALUE".repeat(2000);
    let thrown: unknown;
    try {
      encodeValue(Buffer.from(canary), "test");
    } catch (err) {
      thrown = err;
    }
    // Outside the catch: a value that stops being refused fails here instead of being swallowed.
    expect(thrown).toBeInstanceOf(TooLargeError);
    expect((thrown as Error).message).not.toContain("CANARY");
  });

  it("reads unmarked values as UTF-8 and rejects a corrupt base64 marker", () => {
    expect(decodeValue("plain", undefined, "t").toString()).toBe("plain");
    expect(decodeValue("AAE=", "application/x-pkcs12", "t").toString()).toBe("AAE=");
    expect(() => decodeValue("not base64!", BYTES_CONTENT_TYPE, "t")).toThrow(/base64/);
  });
});

describe("azure list cursor", () => {
  const tenant = parseTenantId("acme");
  const vault = "https://myvault.vault.azure.net";

  it("round-trips a next-page link, re-anchored on the configured vault", () => {
    const link = `${vault}/secrets?api-version=7.6&$skiptoken=abc&maxresults=25`;
    expect(decodeCursor(encodeCursor(tenant, link), tenant, vault)).toBe(link);
  });

  it("never lets a cursor send the token to another host, or serve another tenant", () => {
    const forged = encodeCursor(tenant, "https://evil.example/secrets?x=1");
    expect(new URL(decodeCursor(forged, tenant, vault)).host).toBe("myvault.vault.azure.net");
    expect(() => decodeCursor(encodeCursor(tenant, `${vault}/secrets/x/versions`), tenant, vault)).toThrow(/cursor/);
    expect(() => decodeCursor(encodeCursor(parseTenantId("other"), `${vault}/secrets`), tenant, vault)).toThrow(/another tenant/);
    expect(() => decodeCursor("garbage", tenant, vault)).toThrow(/cursor/);
  });
});
