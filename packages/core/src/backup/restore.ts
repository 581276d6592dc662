/**
 * `backup restore`: what each secret of a verified bundle needs in the tenant's primary, and doing it.
 *
 *   create     absent here: every version is put in order, the envelope bytes as they are, so the
 *              revisions (and, in the file provider, the version numbers) are those of the backup
 *   append     here is an older state of the same history (its head is one of the backup's versions):
 *              the missing newer versions are put, as they are (this also resumes an interrupted restore)
 *   overwrite  here differs: the backup's current value is written as a new revision (nothing here is
 *              destroyed; the value is opened and sealed again in memory, never written in clear)
 *   skip       the current value here already is the backup's (same digest)
 *   conflict   a secret of that name exists here but is not managed by Polyvault: left alone
 *
 * Each put carries the version's original time in `pv-created`, so rotation ages survive a restore.
 */
import { open } from "../crypto/envelope.js";
import type { Keyring } from "../crypto/keyring.js";
import { NotFoundError } from "../errors.js";
import { META, labelsOf, revisionOf } from "../manager/metadata.js";
import type { SecretManager } from "../manager/secret-manager.js";
import type { TenantId } from "../names.js";
import type { Provider, SecretHead } from "../provider.js";
import { ORIGINAL_TIME_KEY } from "../rotation/schedule.js";
import type { Bundle, BundleSecret, BundleVersion } from "./format.js";

export type RestoreActionKind = "create" | "append" | "overwrite" | "skip" | "conflict";

export interface RestoreAction {
  readonly name: string;
  readonly action: RestoreActionKind;
  /** Versions this action writes. */
  readonly versions: number;
  readonly reason: string;
}

async function headOrUndefined(provider: Provider, tenant: TenantId, name: string): Promise<SecretHead | undefined> {
  try {
    return await provider.head(tenant, name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

function decide(s: BundleSecret, head: SecretHead | undefined): RestoreAction {
  const latest = s.versions[s.versions.length - 1] as BundleVersion;
  const n = s.versions.length;
  if (!head)
    return {
      name: s.name,
      action: "create",
      versions: n,
      reason: `absent: ${n} version(s) will be written, revisions ${s.versions[0]?.revision}..${latest.revision}`,
    };
  if (!head.managed) return { name: s.name, action: "conflict", versions: 0, reason: "a secret of this name exists here and is not managed by Polyvault" };
  const digest = head.metadata[META.digest];
  const rev = revisionOf(head.metadata);
  if (digest !== undefined && digest === latest.metadata[META.digest])
    return { name: s.name, action: "skip", versions: 0, reason: `current value already matches the backup (revision ${rev ?? "?"})` };
  const at = s.versions.findIndex((v) => v.revision === rev && digest !== undefined && v.metadata[META.digest] === digest);
  if (at >= 0)
    return {
      name: s.name,
      action: "append",
      versions: n - at - 1,
      reason: `revision ${rev} here is an older state: revisions ${s.versions[at + 1]?.revision}..${latest.revision} will be added`,
    };
  return {
    name: s.name,
    action: "overwrite",
    versions: 1,
    reason: `differs (revision ${rev ?? "?"} here, ${latest.revision} in the backup): the backup's value becomes revision ${(rev ?? 0) + 1}`,
  };
}

export async function planRestore(bundle: Bundle, provider: Provider, onProgress?: (done: number, total: number) => void): Promise<RestoreAction[]> {
  const tenant = bundle.header.tenant as TenantId;
  const out: RestoreAction[] = [];
  for (const [i, s] of bundle.secrets.entries()) {
    out.push(decide(s, await headOrUndefined(provider, tenant, s.name)));
    onProgress?.(i + 1, bundle.secrets.length);
  }
  return out;
}

async function putVersions(provider: Provider, tenant: TenantId, name: string, versions: readonly BundleVersion[], ifVersion: string | null): Promise<void> {
  let expected = ifVersion;
  for (const v of versions) {
    const metadata = { ...v.metadata, ...(v.metadata[ORIGINAL_TIME_KEY] === undefined && v.createdAt ? { [ORIGINAL_TIME_KEY]: v.createdAt } : {}) };
    expected = (await provider.put(tenant, name, v.ciphertext, { metadata, ifVersion: expected })).version;
  }
}

/** Carries out a plan made by planRestore (re-checking each head, so a change meanwhile is a conflict, not a loss). */
export async function applyRestore(options: {
  bundle: Bundle;
  actions: readonly RestoreAction[];
  manager: SecretManager;
  keyring: Keyring;
  onProgress?: ((done: number, total: number) => void) | undefined;
}): Promise<void> {
  const { bundle, manager } = options;
  const tenant = bundle.header.tenant as TenantId;
  const provider = manager.primary;
  const byName = new Map(bundle.secrets.map((s) => [s.name, s]));
  for (const [i, a] of options.actions.entries()) {
    const s = byName.get(a.name) as BundleSecret;
    const latest = s.versions[s.versions.length - 1] as BundleVersion;
    if (a.action === "create") await putVersions(provider, tenant, s.name, s.versions, null);
    else if (a.action === "append") {
      const head = await provider.head(tenant, s.name);
      const rev = revisionOf(head.metadata);
      await putVersions(
        provider,
        tenant,
        s.name,
        s.versions.filter((v) => rev !== undefined && v.revision > rev),
        head.version,
      );
    } else if (a.action === "overwrite") {
      const opened = open(options.keyring, { tenant, name: s.name, expectedRevision: latest.revision }, latest.ciphertext);
      try {
        await manager.set(s.name, opened.plaintext, { labels: labelsOf(latest.metadata) });
      } finally {
        opened.plaintext.fill(0);
      }
    }
    options.onProgress?.(i + 1, options.actions.length);
  }
}
