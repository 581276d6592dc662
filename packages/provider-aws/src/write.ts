/**
 * put and delete. Both read the secret first (DescribeSecret) to check ownership, so an unmanaged or
 * foreign secret is refused before anything changes. Check-and-set compares that read with `ifVersion`:
 * AWS has no conditional PutSecretValue, so this is not atomic against a concurrent writer (see
 * docs/providers/aws.md); creation with `ifVersion: null` is atomic (CreateSecret refuses an existing name).
 */
import { randomUUID } from "node:crypto";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  type DeleteOptions,
  type PutOptions,
  type SecretHead,
  type TenantId,
  TooLargeError,
  UnavailableError,
} from "@polyvault/core";
import { type AwsContext, currentVersion } from "./context.js";
import { frame } from "./frame.js";
import { isPendingDeletion } from "./errors.js";
import { isOwned, metadataTags, ownershipTags, staleMetadataKeys, tagMap } from "./tags.js";

/** SecretBinary and SecretString are each limited to 65,536 bytes. */
export const MAX_VALUE_BYTES = 65_536;

/**
 * The version id (ClientRequestToken, 32–64 chars) is chosen here, once per put, so that a retried call
 * is idempotent and the id is known before AWS answers. It starts with the time, for ordering versions.
 */
export function newVersionId(): string {
  return `${Date.now().toString(16).padStart(12, "0")}-${randomUUID()}`;
}

export async function put(ctx: AwsContext, tenant: TenantId, name: string, value: Uint8Array, options: PutOptions = {}): Promise<SecretHead> {
  const native = ctx.native(tenant, name);
  const what = `put ${tenant}/${name}`;
  const provider = ctx.providerName;
  if (value.byteLength === 0) throw new InvalidInputError(`${what}: AWS Secrets Manager cannot store an empty value`, { provider });
  if (value.byteLength > MAX_VALUE_BYTES)
    throw new TooLargeError(`${what}: ${value.byteLength} bytes is over AWS's ${MAX_VALUE_BYTES}-byte limit`, { provider });
  const metaTags = metadataTags(options.metadata);
  const version = newVersionId();
  const tags = [...ownershipTags(tenant, name, version), ...metaTags];
  const metadata = Object.fromEntries(metaTags.map((t) => [t.Key as string, t.Value as string]));
  // Each version keeps its own metadata in its bytes (frame.ts); the tags describe the current one.
  const bytes = frame(value, metadata, MAX_VALUE_BYTES);
  const op = ctx.op();
  const send = <T>(label: string, fn: (s: AbortSignal) => Promise<T>) => op.call(`${what} (${label})`, fn);
  const conflict = (why: string) => new ConflictError(`${what}: ${why}; nothing written`, { provider });

  // Create-only (the sync engine's creates): try CreateSecret at once — one call instead of two. An
  // existing or pending-deletion name falls back to the path below, which refuses it or restores a
  // soft-deleted Polyvault secret.
  if (options.ifVersion === null && !options.adopt) {
    try {
      await send("create", (abortSignal) =>
        ctx.sm().send(new CreateSecretCommand({ Name: native, SecretBinary: bytes, Tags: tags, ClientRequestToken: version }), { abortSignal }),
      );
      return { name, version, updatedAt: new Date(), managed: true, metadata };
    } catch (err) {
      // An existing or soft-deleted name: the careful path below decides (conflict, or restore).
      if (!(err instanceof ConflictError) && !isPendingDeletion(err) && !isPendingDeletion((err as { cause?: unknown }).cause)) throw err;
    }
  }

  let d = await ctx.describe(op, native, what);
  if (!d) {
    if (typeof options.ifVersion === "string") throw conflict(`expected version ${options.ifVersion} but the secret does not exist`);
    try {
      await send("create", async (abortSignal) => {
        try {
          return await ctx.sm().send(new CreateSecretCommand({ Name: native, SecretBinary: bytes, Tags: tags, ClientRequestToken: version }), {
            abortSignal,
          });
        } catch (err) {
          // Right after a purge AWS is still deleting in the background: transient, so retried.
          if (isPendingDeletion(err)) throw new UnavailableError(`${what}: AWS is still deleting a purged secret of this name`, { cause: err, provider });
          throw err;
        }
      });
      return { name, version, updatedAt: new Date(), managed: true, metadata };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    // Another writer created the name first. Create-only fails; a plain put becomes an update of it.
    if (options.ifVersion === null) throw conflict("the secret was created concurrently");
    d = await ctx.describe(op, native, what);
    if (!d) throw conflict("the secret was created and deleted concurrently");
  }

  const existing = tagMap(d.Tags);
  if (!options.adopt && !isOwned(existing, tenant, name)) throw conflict("the secret exists and is not managed by Polyvault for this tenant");
  const deleted = Boolean(d.DeletedDate);
  const current = deleted ? undefined : currentVersion(d.VersionIdsToStages);
  if (options.ifVersion === null && current !== undefined) throw conflict("the secret already exists");
  if (typeof options.ifVersion === "string" && current !== options.ifVersion)
    throw conflict(`expected version ${options.ifVersion}, found ${current ?? "none"}`);

  // A soft-deleted secret keeps its name: writing it again means restoring it, then adding a version.
  if (deleted) await send("restore", (abortSignal) => ctx.sm().send(new RestoreSecretCommand({ SecretId: native }), { abortSignal }));
  try {
    await send("value", (abortSignal) =>
      ctx.sm().send(new PutSecretValueCommand({ SecretId: native, SecretBinary: bytes, ClientRequestToken: version }), { abortSignal }),
    );
  } catch (err) {
    if (err instanceof NotFoundError) throw conflict("the secret was deleted concurrently");
    throw err;
  }
  // Value first, tags second: a crash in between leaves pv-version naming the old version, so the old
  // metadata is hidden rather than shown against the new value (see tags.ts).
  await send("tags", (abortSignal) => ctx.sm().send(new TagResourceCommand({ SecretId: native, Tags: tags }), { abortSignal }));
  const stale = staleMetadataKeys(existing, metaTags);
  if (stale.length > 0) await send("untag", (abortSignal) => ctx.sm().send(new UntagResourceCommand({ SecretId: native, TagKeys: stale }), { abortSignal }));
  return { name, version, updatedAt: new Date(), managed: true, metadata };
}

export async function remove(ctx: AwsContext, tenant: TenantId, name: string, recoveryWindowDays: number, options: DeleteOptions = {}): Promise<void> {
  const native = ctx.native(tenant, name);
  const what = `${options.purge ? "purge" : "delete"} ${tenant}/${name}`;
  const provider = ctx.providerName;
  const op = ctx.op();
  const d = await ctx.describe(op, native, what);
  // A purge of a secret already scheduled for deletion is allowed (it ends the recovery window now).
  if (!d || (d.DeletedDate && !options.purge)) throw new NotFoundError(`${what}: not found`, { provider });
  if (!isOwned(tagMap(d.Tags), tenant, name))
    throw new ConflictError(`${what}: the secret is not managed by Polyvault for this tenant; nothing deleted`, { provider });
  const input = options.purge ? { SecretId: native, ForceDeleteWithoutRecovery: true } : { SecretId: native, RecoveryWindowInDays: recoveryWindowDays };
  try {
    await op.call(what, (abortSignal) => ctx.sm().send(new DeleteSecretCommand(input), { abortSignal }));
  } catch (err) {
    // A retried soft delete whose first attempt went through is told the secret is already marked deleted.
    if (!options.purge && err instanceof NotFoundError && isPendingDeletion(err.cause)) return;
    throw err;
  }
}
