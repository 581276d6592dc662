/**
 * Making this data directory's keyring able to open a bundle's ciphertexts. Keyrings only ever grow
 * (versions are appended, and a retired version keeps its place), so two keyrings of one installation
 * agree on their common versions and one is a prefix of the other:
 *
 *   install     no keys/keyring.json here yet (a new data directory with the same master key): the
 *               bundle's keyring is written as it is
 *   extend      ours is a prefix of the bundle's: the bundle's newer versions are appended
 *   compatible  the bundle's is a prefix of ours: nothing to do
 *
 * Anything else (a keyring made separately, e.g. by running another command in the new data directory
 * before restoring) cannot open the bundle's ciphertexts and is refused before anything is written.
 */
import { join } from "node:path";
import type { KeyringEntry, KeyringFile } from "../crypto/keyring-file.js";
import { changeKeyringFile, readKeyringFile } from "../crypto/keyring-store.js";
import { KEYRING_FILE, keysDir } from "../crypto/master-key.js";
import { ConflictError } from "../errors.js";

export type KeyringAction = "install" | "extend" | "compatible";

const same = (a: KeyringEntry, b: KeyringEntry): boolean =>
  a.version === b.version && a.createdAt === b.createdAt && (a.wrappedSecret === b.wrappedSecret || a.wrappedSecret === null || b.wrappedSecret === null);

/** Pure: what to do, and the resulting versions. Throws ConflictError when they cannot be reconciled. */
export function mergeKeyrings(
  local: KeyringFile | undefined,
  bundle: KeyringFile,
  used: ReadonlySet<number>,
  where: string,
): { action: KeyringAction; versions: KeyringEntry[] } {
  const advice = "restore into a data directory that holds the same master key but no keys/keyring.json yet";
  if (!local || local.versions.length === 0) return { action: "install", versions: structuredClone(bundle.versions) };
  if (local.check !== bundle.check) throw new ConflictError(`${where} belongs to another master key than the backup; ${advice}`);
  const common = Math.min(local.versions.length, bundle.versions.length);
  for (let i = 0; i < common; i++) {
    if (!same(local.versions[i] as KeyringEntry, bundle.versions[i] as KeyringEntry)) {
      throw new ConflictError(`${where} is not the keyring the backup was made with (key version ${i + 1} differs); ${advice}`);
    }
  }
  const versions = [...structuredClone(local.versions), ...structuredClone(bundle.versions.slice(common))];
  for (const v of [...used].sort((a, b) => a - b)) {
    if (versions[v - 1]?.state !== "active") {
      throw new ConflictError(
        `key version ${v}, which the backup's data is sealed under, is retired in ${where}: that data could not be opened after a restore`,
      );
    }
  }
  return { action: bundle.versions.length > local.versions.length ? "extend" : "compatible", versions };
}

export const keyringPath = (dataDir: string): string => join(keysDir(dataDir), KEYRING_FILE);

export async function planKeyring(dataDir: string, bundle: KeyringFile, used: ReadonlySet<number>): Promise<KeyringAction> {
  const path = keyringPath(dataDir);
  return mergeKeyrings(await readKeyringFile(path), bundle, used, path).action;
}

/** Applies the merge under the keyring lock, on a fresh read (another process may have changed it). */
export async function applyKeyring(dataDir: string, masterKey: Uint8Array, bundle: KeyringFile, used: ReadonlySet<number>): Promise<KeyringAction> {
  const path = keyringPath(dataDir);
  let action: KeyringAction = "compatible";
  await changeKeyringFile(
    path,
    masterKey,
    (draft) => {
      const merged = mergeKeyrings(draft.versions.length ? draft : undefined, bundle, used, path);
      if (merged.action === "install" && draft.check !== bundle.check)
        throw new ConflictError(`the backup's keyring belongs to another master key than ${path}`);
      action = merged.action;
      if (merged.action === "compatible") return false;
      draft.versions = merged.versions;
      return true;
    },
    true,
  );
  return action;
}
