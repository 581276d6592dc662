/**
 * `backup create`: one tenant's managed secrets from its primary provider, every readable version,
 * oldest first, with the stored envelope bytes copied as they are (nothing is decrypted, so no value
 * is ever in clear here). A version that is not a Polyvault envelope is never copied: its secret is
 * left out and reported, because copying it would put a value in clear into the bundle.
 */
import { parseHeader } from "../crypto/envelope-format.js";
import { readKeyringFile } from "../crypto/keyring-store.js";
import { NotFoundError, isPolyvaultError } from "../errors.js";
import type { TenantId } from "../names.js";
import { ORIGINAL_NAME_KEY, type Provider, TENANT_KEY, listAll } from "../provider.js";
import { BACKUP_FORMAT, type BundleSecret, type BundleVersion, headerLine, secretLine } from "./format.js";
import type { BackupSigner } from "./signing.js";

export interface BackupSummary {
  readonly tenant: string;
  readonly provider: string;
  readonly createdAt: string;
  readonly secrets: number;
  readonly versions: number;
  readonly bytes: number;
  /** Secrets left out, with the reason (never a value). */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

/** Polyvault's own metadata, without the keys each provider writes itself when it stores a secret. */
export function portableMetadata(meta: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(meta).filter(([k]) => k.startsWith("pv-") && k !== TENANT_KEY && k !== ORIGINAL_NAME_KEY));
}

async function readSecret(provider: Provider, tenant: TenantId, name: string): Promise<BundleSecret> {
  const versions: BundleVersion[] = [];
  for (const v of [...(await provider.versions(tenant, name))].reverse()) {
    const stored = await provider.get(tenant, name, { version: v.version });
    try {
      const header = parseHeader(stored.value); // IntegrityError when it is not an envelope
      versions.push({
        revision: header.revision,
        keyVersion: header.keyVersion,
        createdAt: (v.createdAt ?? stored.updatedAt)?.toISOString() ?? null,
        metadata: portableMetadata(stored.metadata),
        ciphertext: Buffer.from(stored.value),
      });
    } finally {
      stored.value.fill(0);
    }
  }
  return { name, versions };
}

export async function createBackup(options: {
  tenant: TenantId;
  provider: Provider;
  /** keys/keyring.json of this data directory. */
  keyringPath: string;
  signer: BackupSigner;
  now?: Date | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
}): Promise<{ bytes: Buffer; summary: BackupSummary }> {
  const { tenant, provider } = options;
  const keyring = await readKeyringFile(options.keyringPath);
  if (!keyring) throw new NotFoundError(`no keyring at ${options.keyringPath}: nothing was ever stored with this data directory's keys`);
  const names: string[] = [];
  for await (const h of listAll(provider, tenant)) if (h.managed) names.push(h.name);
  names.sort();
  const secrets: BundleSecret[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const [i, name] of names.entries()) {
    try {
      secrets.push(await readSecret(provider, tenant, name));
    } catch (err) {
      if (err instanceof NotFoundError) continue; // deleted while we were reading
      if (isPolyvaultError(err) && err.code === "INTEGRITY") skipped.push({ name, reason: err.message });
      else throw err;
    }
    options.onProgress?.(i + 1, names.length);
  }
  const createdAt = (options.now ?? new Date()).toISOString();
  const versions = secrets.reduce((n, s) => n + s.versions.length, 0);
  const header = {
    format: BACKUP_FORMAT,
    tenant,
    createdAt,
    source: { provider: provider.name, type: provider.type },
    signingKey: options.signer.publicKey.toString("base64"),
    keyring,
    secrets: secrets.length,
    versions,
  } as const;
  const body = Buffer.from(headerLine(header) + secrets.map(secretLine).join(""), "utf8");
  const trailer = Buffer.from(`${JSON.stringify({ signature: options.signer.sign(body).toString("base64") })}\n`);
  const bytes = Buffer.concat([body, trailer]);
  return { bytes, summary: { tenant, provider: provider.name, createdAt, secrets: secrets.length, versions, bytes: bytes.length, skipped } };
}
