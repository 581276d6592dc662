/**
 * Every provider's name codec: round trip (decode ∘ encode = id), injectivity (two different
 * (tenant, name) pairs never share a native name — for Azure even after lowercasing, since Key Vault
 * compares names case-insensitively), no cross-tenant decoding, and native names within each
 * provider's own rules. Codecs are pure: no server is needed, so Azure's codec runs here too.
 */
import { decodeName as fileDecode, encodeName as fileEncode, fileNameFits } from "@polyvault/provider-file";
import { createAwsNameCodec } from "@polyvault/provider-aws";
import { AZURE_NAME_MAX, createAzureNameCodec, decodePart, encodePart } from "@polyvault/provider-azure";
import { createVaultNameCodec } from "@polyvault/provider-vault";
import { posix } from "node:path";
import fc from "fast-check";
import { describe, it } from "vitest";
import { chunkEdgeName, longSecretName, nameAndNeighbour, tenantAndNeighbour, validSecretName, validTenant } from "./helpers/arbitraries.js";
import { PROPERTY_RUNS } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("property-codecs");
const anyName = fc.oneof(validSecretName, longSecretName, chunkEdgeName);
/** Names short enough that every provider, Azure's 127 characters included, holds them with the tenant. */
const shortName = validSecretName.filter((n) => n.length <= 40);

interface Codec {
  encode(tenant: string, name: string): string | undefined;
  decode(tenant: string, native: string): string | undefined;
  /** The provider's own rule for a native name. */
  fitsProvider(native: string): boolean;
  /** Whether the provider compares names case-insensitively. */
  caseInsensitive: boolean;
  /** What the store does with a native name before using it (the file system resolves '.' and '..'). */
  resolve?: (native: string) => string;
}

const ok = (r: { ok: true; nativeName: string } | { ok: false; reason: string }) => (r.ok ? r.nativeName : undefined);
const aws = createAwsNameCodec("polyvault");
const vault = createVaultNameCodec("polyvault");
const azure = createAzureNameCodec("polyvault");

const CODECS: Record<string, Codec> = {
  file: {
    encode: (t, n) => ok(fileNameFits(t, n)),
    decode: (t, native) => (native.startsWith(`${t}/s/`) ? fileDecode(native.slice(t.length + 3).split("/")) : undefined),
    // Each path component must be a legal file name under a 255-byte limit, and never '.' or '..'.
    fitsProvider: (native) => native.split("/").every((c) => c.length > 0 && Buffer.byteLength(c) <= 255 && c !== "." && c !== ".."),
    caseInsensitive: false,
    resolve: (native) => posix.normalize(native),
  },
  aws: {
    encode: (t, n) => ok(aws.encode(t as never, n)),
    decode: (t, s) => aws.decode(t as never, s),
    fitsProvider: (s) => /^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s),
    caseInsensitive: false,
  },
  vault: {
    encode: (t, n) => ok(vault.encode(t as never, n)),
    decode: (t, s) => vault.decode(t as never, s),
    fitsProvider: (s) => !s.split("/").some((x) => x === "" || x === "." || x === ".."),
    caseInsensitive: false,
  },
  azure: {
    encode: (t, n) => ok(azure.encode(t as never, n)),
    decode: (t, s) => azure.decode(t as never, s),
    fitsProvider: (s) => s.length >= 1 && s.length <= AZURE_NAME_MAX && /^[0-9a-zA-Z-]+$/.test(s),
    caseInsensitive: true,
  },
};

/** The identity a provider sees: Azure folds case; a file system resolves '.' and '..' components. */
const key = (c: Codec, native: string) => {
  const resolved = c.resolve ? c.resolve(native) : native;
  return c.caseInsensitive ? resolved.toLowerCase() : resolved;
};

describe(`provider name codecs (${PROPERTY_RUNS} cases per property and codec)`, () => {
  for (const [provider, codec] of Object.entries(CODECS)) {
    describe(provider, () => {
      it("round trip: decode(encode(tenant, name)) = name, and the native name follows the provider's rules", () => {
        let encoded = 0;
        fc.assert(
          fc.property(validTenant, anyName, (t, n) => {
            tally.trial();
            const native = codec.encode(t, n);
            // Only Azure may refuse a valid name (its 127-character limit); the others hold every one.
            if (native === undefined) return tally.check(provider === "azure", `${provider} refused a valid name ${JSON.stringify(n)}`);
            encoded++;
            tally.check(codec.fitsProvider(native), `${provider}: ${JSON.stringify(native)} breaks the provider's name rule`);
            tally.check(codec.decode(t, native) === n, `${provider}: round trip of ${JSON.stringify(n)}`);
            if (codec.caseInsensitive) tally.check(codec.decode(t, native.toUpperCase()) === n, `${provider}: decoding ignores case`);
          }),
          { numRuns: PROPERTY_RUNS },
        );
        tally.check(encoded > PROPERTY_RUNS / 4, `${provider}: most generated names were encodable (${encoded})`);
      });

      it("injective: a name and a near neighbour (one edit, or one letter's case) never share a native name", () => {
        fc.assert(
          fc.property(validTenant, nameAndNeighbour, (t, [a, b]) => {
            tally.trial();
            fc.pre(a !== b);
            const na = codec.encode(t, a);
            const nb = codec.encode(t, b);
            if (na === undefined || nb === undefined) return;
            tally.check(key(codec, na) !== key(codec, nb), `${provider}: ${JSON.stringify(a)} and ${JSON.stringify(b)} both map to ${na}`);
          }),
          { numRuns: PROPERTY_RUNS },
        );
      });

      it("injective across tenants and within batches: distinct (tenant, name) pairs give distinct native names", () => {
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.oneof(validTenant, fc.constantFrom("a", "a-b", "a_b", "ab", "a-h")), anyName), { minLength: 2, maxLength: 12 }),
            (pairs) => {
              tally.trial();
              const seen = new Map<string, string>();
              for (const [t, n] of pairs) {
                const native = codec.encode(t, n);
                if (native === undefined) continue;
                const id = `${t}\u0000${n}`;
                const prior = seen.get(key(codec, native));
                tally.check(prior === undefined || prior === id, `${provider}: ${JSON.stringify(id)} collides with ${JSON.stringify(prior)} at ${native}`);
                seen.set(key(codec, native), id);
              }
            },
          ),
          { numRuns: PROPERTY_RUNS },
        );
      });

      it("neighbouring tenants (acme / acme-2, a-b / a_b): no shared native names, no decoding across", () => {
        let reached = 0;
        fc.assert(
          fc.property(tenantAndNeighbour, shortName, shortName, ([t1, t2], n1, n2) => {
            tally.trial();
            const a = codec.encode(t1, n1);
            const b = codec.encode(t2, n2);
            if (a === undefined || b === undefined) return;
            reached++;
            tally.check(key(codec, a) !== key(codec, b), `${provider}: ${t1}/${JSON.stringify(n1)} and ${t2}/${JSON.stringify(n2)} share ${a}`);
            tally.check(codec.decode(t2, a) === undefined, `${provider}: ${a} (tenant ${t1}) decodes in tenant ${t2}`);
            tally.check(codec.decode(t1, b) === undefined, `${provider}: ${b} (tenant ${t2}) decodes in tenant ${t1}`);
          }),
          { numRuns: PROPERTY_RUNS },
        );
        tally.note(`${provider}: neighbouring-tenant cases reached`, reached);
        tally.check(reached > PROPERTY_RUNS / 2, `${provider}: most neighbouring-tenant cases were encodable (${reached})`);
      });

      it("a native name of one tenant never decodes as a secret of another tenant", () => {
        fc.assert(
          fc.property(validTenant, validTenant, anyName, (t1, t2, n) => {
            tally.trial();
            fc.pre(t1 !== t2);
            const native = codec.encode(t1, n);
            if (native === undefined) return;
            tally.check(codec.decode(t2, native) === undefined, `${provider}: ${native} (tenant ${t1}) decodes in tenant ${t2}`);
          }),
          { numRuns: PROPERTY_RUNS },
        );
      });
    });
  }

  it("file: names are chunked at 200 characters with '+' continuation, and '/' never reaches the file system", () => {
    fc.assert(
      fc.property(anyName, (n) => {
        tally.trial();
        const parts = fileEncode(n);
        tally.check(
          parts.every((p) => !p.includes("/") && p.length <= 201),
          "parts are single path components",
        );
        tally.check(fileDecode(parts) === n, "round trip");
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("azure: any native string decodes to nothing, or to the one name whose canonical encoding it is (case folded)", () => {
    const native = fc.string({ unit: fc.constantFrom(..."abcABC019-ucdsh".split("")), maxLength: 40 });
    fc.assert(
      fc.property(native, (s) => {
        tally.trial();
        tally.fault();
        const name = decodePart(s);
        tally.check(name === decodePart(s.toUpperCase()) && name === decodePart(s.toLowerCase()), "decoding is case-insensitive");
        // So two native names Key Vault treats as one can never be two different secrets.
        if (name !== undefined)
          tally.check(encodePart(name) === s.toLowerCase(), `${JSON.stringify(s)} is not the canonical encoding of ${JSON.stringify(name)}`);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
