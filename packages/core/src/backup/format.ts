/**
 * The backup bundle, format polyvault-backup/v1: UTF-8 NDJSON, one JSON object per line, "\n" after each.
 *
 *   line 1        header  {"format":"polyvault-backup/v1","tenant","createdAt","source":{"provider","type"},
 *                          "signingKey":"<base64, raw Ed25519 public key>","keyring":{keys/keyring.json as is},
 *                          "secrets":N,"versions":M}
 *   lines 2..N+1  secret  {"name","versions":[{"revision","keyVersion","createdAt","metadata":{…},"ciphertext":"<base64>"}…]}
 *                          one per secret, sorted by name; versions oldest first; ciphertext = the stored
 *                          Polyvault envelope bytes exactly as the provider held them (never decrypted)
 *   line N+2      trailer {"signature":"<base64, 64 bytes>"}  Ed25519 over every byte before this line
 *
 * The keyring's version secrets are wrapped under the master key: carrying them adds nothing to an
 * attacker without that key, and without them a new data directory could not open the ciphertexts.
 */
import { z } from "zod";
import { type KeyringFile, parseKeyringFile } from "../crypto/keyring-file.js";
import { IntegrityError } from "../errors.js";
import { SecretNameSchema, TenantIdSchema } from "../names.js";

export const BACKUP_FORMAT = "polyvault-backup/v1";

export interface BundleVersion {
  readonly revision: number;
  readonly keyVersion: number;
  /** When the version was first written (ISO 8601), if the provider said. */
  readonly createdAt: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly ciphertext: Buffer;
}
export interface BundleSecret {
  readonly name: string;
  readonly versions: readonly BundleVersion[];
}
export interface BundleHeader {
  readonly format: typeof BACKUP_FORMAT;
  readonly tenant: string;
  readonly createdAt: string;
  readonly source: { readonly provider: string; readonly type: string };
  readonly signingKey: string;
  readonly keyring: KeyringFile;
  readonly secrets: number;
  readonly versions: number;
}
export interface Bundle {
  readonly header: BundleHeader;
  readonly secrets: readonly BundleSecret[];
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: "not base64" });
const HeaderLine = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  tenant: TenantIdSchema,
  createdAt: z.iso.datetime(),
  source: z.strictObject({ provider: z.string().min(1), type: z.string().min(1) }),
  signingKey: base64,
  keyring: z.unknown(),
  secrets: z.number().int().min(0),
  versions: z.number().int().min(0),
});
const SecretLine = z.strictObject({
  name: SecretNameSchema,
  versions: z
    .array(
      z.strictObject({
        revision: z.number().int().min(1),
        keyVersion: z.number().int().min(1),
        createdAt: z.iso.datetime().nullable(),
        metadata: z.record(z.string(), z.string()),
        ciphertext: base64,
      }),
    )
    .min(1),
});
export const TrailerLine = z.strictObject({ signature: base64 });

export function headerLine(h: BundleHeader): string {
  return `${JSON.stringify(h)}\n`;
}

export function secretLine(s: BundleSecret): string {
  const versions = s.versions.map((v) => ({ ...v, ciphertext: v.ciphertext.toString("base64") }));
  return `${JSON.stringify({ name: s.name, versions })}\n`;
}

const damaged = (why: string): IntegrityError => new IntegrityError(`backup bundle is damaged: ${why}`);

/** Parses the signed body (everything before the trailer). Call only after the signature verified. */
export function parseBody(body: Buffer): Bundle {
  const lines = body.toString("utf8").split("\n");
  if (lines.pop() !== "") throw damaged("it does not end with a newline");
  const parse = <T>(schema: z.ZodType<T>, text: string, what: string): T => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw damaged(`${what} is not JSON`);
    }
    const r = schema.safeParse(raw);
    if (!r.success) throw damaged(`${what}: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`);
    return r.data;
  };
  const h = parse(HeaderLine, lines[0] ?? "", "the header (line 1)");
  const keyring = parseKeyringFile(JSON.stringify(h.keyring), "the bundle's keyring");
  const secrets: BundleSecret[] = lines.slice(1).map((line, i) => {
    const s = parse(SecretLine, line, `line ${i + 2}`);
    return { name: s.name, versions: s.versions.map((v) => ({ ...v, ciphertext: Buffer.from(v.ciphertext, "base64") })) };
  });
  const versions = secrets.reduce((n, s) => n + s.versions.length, 0);
  if (secrets.length !== h.secrets || versions !== h.versions) {
    throw damaged(`the header announces ${h.secrets} secrets and ${h.versions} versions, the body holds ${secrets.length} and ${versions}`);
  }
  return { header: { ...h, keyring }, secrets };
}
