/**
 * put() and delete(). Key Vault has no conditional write, so check-and-set compares the current version
 * first (not atomic; documented). Soft delete is Key Vault's own (recoverable for the vault's retention
 * period). Writing a name that is soft-deleted gets 409 from Key Vault; when that deleted secret is
 * Polyvault's, put() recovers it first and then writes the new version — unlike purge-then-write this
 * keeps the deleted history recoverable and also works on vaults with purge protection.
 */
import type { KeyVaultSecret, SecretClient } from "@azure/keyvault-secrets";
import type { DeleteOptions, PutOptions, SecretHead, TenantId } from "@polyvault/core";
import { ConflictError, NotFoundError } from "@polyvault/core";
import { type Op, fetchDeleted, fetchSecret, headOf, pause, versionOf } from "./ops.js";
import { type Tags, VERSION_TAG, isManaged } from "./tags.js";
import type { EncodedValue } from "./values.js";

export interface WriteTarget {
  readonly tenant: TenantId;
  readonly name: string;
  readonly native: string;
}

const notManaged = (op: Op, t: WriteTarget, state = "") =>
  new ConflictError(
    `azure provider ${op.provider}: ${op.what}: the ${state}secret at ${t.native} is not managed by Polyvault for tenant ${t.tenant}; nothing was changed`,
    { provider: op.provider },
  );

export async function putSecret(op: Op, t: WriteTarget, encoded: EncodedValue, tags: Tags, options: PutOptions): Promise<SecretHead> {
  const { ifVersion } = options;
  let recovered = false;
  for (;;) {
    const current = await fetchSecret(op, t.native);
    if (current) {
      if (!options.adopt && !isManaged(current.properties.tags, t.tenant, t.name)) throw notManaged(op, t);
      // A secret this put() just recovered was absent as far as the caller could see.
      if (ifVersion === null && !recovered)
        throw new ConflictError(`azure provider ${op.provider}: ${op.what}: the secret already exists (ifVersion: null)`, { provider: op.provider });
      if (typeof ifVersion === "string" && ifVersion !== current.properties.version)
        throw new ConflictError(`azure provider ${op.provider}: ${op.what}: current version is not ${ifVersion}`, { provider: op.provider });
    } else if (typeof ifVersion === "string") {
      throw new ConflictError(`azure provider ${op.provider}: ${op.what}: version ${ifVersion} is not current (the secret does not exist)`, {
        provider: op.provider,
      });
    }
    let set: KeyVaultSecret;
    let attempts = 0;
    try {
      set = await op.call(async (c, abortSignal) => {
        // Key Vault has no idempotency key: when a set is retried because its answer was lost, the first
        // attempt may have stored the version already. The current version holding exactly this value
        // (a fresh ciphertext, or the same plaintext) with these tags is that write: no second version.
        if (attempts++ > 0) {
          const landed = await currentIfSame(c, t.native, encoded, tags, abortSignal);
          if (landed) return landed;
        }
        return c.setSecret(t.native, encoded.value, { abortSignal, contentType: encoded.contentType, tags });
      });
    } catch (err) {
      if (!(err instanceof ConflictError) || current) throw err;
      // 409 on a name that looked absent: it is soft-deleted, or still being deleted or purged.
      const deleted = await fetchDeleted(op, t.native);
      if (!deleted) {
        await pause(op, "being deleted");
        continue;
      }
      if (!isManaged(deleted.properties.tags, t.tenant, t.name)) throw notManaged(op, t, "soft-deleted ");
      await recover(op, t.native);
      recovered = true;
      continue;
    }
    const version = versionOf(op, set);
    // Tag the version with its own id, so list() can report it without a read (see tags.ts).
    const tagged = await op.call((c, abortSignal) => c.updateSecretProperties(t.native, version, { abortSignal, tags: { ...tags, [VERSION_TAG]: version } }));
    return headOf(op, t.tenant, t.name, { ...set, properties: { ...set.properties, ...tagged, version } });
  }
}

async function currentIfSame(
  c: SecretClient,
  native: string,
  encoded: EncodedValue,
  tags: Tags,
  abortSignal: AbortSignal,
): Promise<KeyVaultSecret | undefined> {
  let now: KeyVaultSecret;
  try {
    now = await c.getSecret(native, { abortSignal });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  const same = (a: Tags | undefined, b: Tags) => Object.keys(b).length === Object.keys(a ?? {}).length && Object.entries(b).every(([k, v]) => a?.[k] === v);
  return now.value === encoded.value && now.properties.contentType === encoded.contentType && same(now.properties.tags, tags) ? now : undefined;
}

/** Recovers a soft-deleted secret and waits until it is readable again. */
async function recover(op: Op, native: string): Promise<void> {
  try {
    await op.call(async (c, abortSignal) => {
      const poller = await c.beginRecoverDeletedSecret(native, { abortSignal, intervalInMs: op.pollMs });
      await poller.pollUntilDone({ abortSignal });
    });
  } catch (err) {
    // Another writer may be recovering (409) or may have recovered it already (404): look again.
    if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
    await pause(op, "being recovered");
  }
}

export async function deleteSecret(op: Op, t: WriteTarget, options: DeleteOptions): Promise<void> {
  const current = await fetchSecret(op, t.native);
  if (current) {
    if (!isManaged(current.properties.tags, t.tenant, t.name)) throw notManaged(op, t);
    const recoverable = await softDelete(op, t.native);
    if (!options.purge || !recoverable) return;
  } else {
    const absent = new NotFoundError(`azure provider ${op.provider}: ${op.what}: not found`, { provider: op.provider });
    if (!options.purge) throw absent;
    const deleted = await fetchDeleted(op, t.native);
    if (!deleted) throw absent;
    if (!isManaged(deleted.properties.tags, t.tenant, t.name)) throw notManaged(op, t, "soft-deleted ");
  }
  await purge(op, t.native);
}

/** Deletes and waits until Key Vault reports the secret deleted; false when the vault keeps nothing to purge. */
async function softDelete(op: Op, native: string): Promise<boolean> {
  return op.call(async (c, abortSignal) => {
    const poller = await c.beginDeleteSecret(native, { abortSignal, intervalInMs: op.pollMs });
    const deleted = await poller.pollUntilDone({ abortSignal });
    return Boolean(deleted.recoveryId ?? deleted.properties.recoveryId);
  });
}

async function purge(op: Op, native: string): Promise<void> {
  for (;;) {
    try {
      await op.call((c, abortSignal) => c.purgeDeletedSecret(native, { abortSignal }));
      return;
    } catch (err) {
      // 409 while Key Vault is still completing the delete: look again shortly, within the deadline.
      if (!(err instanceof ConflictError)) throw err;
      await pause(op, "being deleted");
    }
  }
}
