/**
 * (tenant, secret name) ↔ Azure Key Vault secret name.
 *
 * Azure names are 1–127 characters of `0-9a-zA-Z-` and are compared case-INSENSITIVELY, so `A_B` and
 * `a_b` must not both land on `a-b`. The codec writes lowercase letters, digits and '-' only, and makes
 * every other fact explicit with a two-character escape, '-' followed by a code letter:
 *
 *   '-u' → '_'   '-d' → '.'   '-s' → '/'   '-h' → '-'   '-c' → toggle upper case (letters that follow
 *   are upper case until the next '-c')
 *
 * so `SPOTIFY_CLIENT_SECRET` → `-cspotify-uclient-usecret`, `db/url` → `db-surl`, `a-b` → `a-hb`.
 * A native name is `<prefix>--<tenant>--<name>`: an escape never produces "--" (a '-' is always followed
 * by a code letter) and an encoded part never ends in '-', so the first "--" after the prefix ends the
 * tenant. Decoding is the exact inverse (decode ∘ encode = id), which makes the encoding injective; a
 * native name is only taken as ours when re-encoding its decoded form gives it back (canonical form),
 * so no two native names decode to one secret either.
 */
import { InvalidInputError, type NameCheck, SecretNameSchema, type TenantId, TenantIdSchema } from "@polyvault/core";

export const AZURE_NAME_MAX = 127;
const SEP = "--";
const ESCAPES: Readonly<Record<string, string>> = { _: "u", ".": "d", "/": "s", "-": "h" };
const UNESCAPES: Readonly<Record<string, string>> = { u: "_", d: ".", s: "/", h: "-" };
const CASE_TOGGLE = "c";
/** One or more runs of [a-z0-9] joined by single '-': never "--", never a leading or trailing '-'. */
const PREFIX_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const AZURE_NAME_RULE =
  "tenant ids and secret names as Polyvault defines them, stored as <prefix>--<tenant>--<name> with " +
  "'_' '.' '/' '-' and upper case escaped (2 characters each: '-u' '-d' '-s' '-h', '-c' toggles case); " +
  `the whole must fit Azure's ${AZURE_NAME_MAX} characters of 0-9a-z-`;

/** Encodes one part (tenant id or secret name); throws on a character outside Polyvault's alphabet. */
export function encodePart(part: string): string {
  let out = "";
  let upper = false;
  for (const ch of part) {
    if ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z")) {
      const isUpper = ch <= "Z";
      if (isUpper !== upper) {
        out += `-${CASE_TOGGLE}`;
        upper = isUpper;
      }
      out += ch.toLowerCase();
    } else if (ch >= "0" && ch <= "9") {
      out += ch;
    } else {
      const code = ESCAPES[ch];
      if (code === undefined) throw new InvalidInputError(`character ${JSON.stringify(ch)} cannot be encoded for Azure`);
      out += `-${code}`;
    }
  }
  return out;
}

/** Decodes one part, or undefined when it is not a well-formed, canonical encoding. */
export function decodePart(encoded: string): string | undefined {
  const s = encoded.toLowerCase(); // Azure treats case as insignificant; so do we
  let out = "";
  let upper = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "-") {
      const code = s[++i];
      if (code === CASE_TOGGLE) upper = !upper;
      else if (code !== undefined && UNESCAPES[code] !== undefined) out += UNESCAPES[code];
      else return undefined;
    } else if (ch >= "a" && ch <= "z") {
      out += upper ? ch.toUpperCase() : ch;
    } else if (ch >= "0" && ch <= "9") {
      out += ch;
    } else {
      return undefined;
    }
  }
  return encodePart(out) === s ? out : undefined;
}

export interface AzureNameCodec {
  readonly prefix: string;
  /** The native name for (tenant, name), or why it cannot be held. Never calls the server. */
  encode(tenant: TenantId, name: string): NameCheck;
  /** The secret name inside this tenant's namespace, or undefined when `nativeName` is not one of ours. */
  decode(tenant: TenantId, nativeName: string): string | undefined;
}

/** Validates and normalises the configured prefix (lowercase: Azure would fold it anyway). */
export function checkPrefix(prefix: string): string {
  const p = prefix.toLowerCase();
  if (!PREFIX_PATTERN.test(p))
    throw new InvalidInputError(
      `azure prefix ${JSON.stringify(prefix)} must be letters and digits, optionally joined by single '-' (no leading, trailing or double '-')`,
    );
  if (p.length > 40) throw new InvalidInputError(`azure prefix ${JSON.stringify(prefix)} is longer than 40 characters`);
  return p;
}

export function createAzureNameCodec(prefix = "polyvault"): AzureNameCodec {
  const p = checkPrefix(prefix);
  const tenantNs = (tenant: string) => `${p}${SEP}${encodePart(tenant)}${SEP}`;
  return {
    prefix: p,
    encode(tenant, name) {
      const t = TenantIdSchema.safeParse(tenant);
      if (!t.success) return { ok: false, reason: `invalid tenant id: ${t.error.issues[0]?.message}` };
      const n = SecretNameSchema.safeParse(name);
      if (!n.success) return { ok: false, reason: `invalid secret name: ${n.error.issues[0]?.message}` };
      const nativeName = tenantNs(tenant) + encodePart(name);
      if (nativeName.length > AZURE_NAME_MAX)
        return {
          ok: false,
          reason:
            `it encodes to ${nativeName.length} characters with prefix and tenant, over Azure's ${AZURE_NAME_MAX}-character ` +
            "limit for secret names (upper case, '_', '.', '/' and '-' take 2 characters each)",
        };
      return { ok: true, nativeName };
    },
    decode(tenant, nativeName) {
      const ns = tenantNs(tenant);
      const lower = nativeName.toLowerCase();
      if (!lower.startsWith(ns)) return undefined;
      const name = decodePart(lower.slice(ns.length));
      return name !== undefined && SecretNameSchema.safeParse(name).success ? name : undefined;
    },
  };
}
