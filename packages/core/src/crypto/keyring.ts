/**
 * The versioned keyring. Each key version has a random secret (kept wrapped in keys/keyring.json);
 * a tenant's data key for version n is HKDF-SHA256(ikm = master key, salt = version secret,
 * info = "polyvault/v1|tenant=<t>|purpose=data|key-version=<n>"), derived once per process and cached.
 * The digest key does not depend on key versions, so value digests stay stable across rotation.
 *
 * Changes (creation, rotate, retire) are made under keys/keyring.lock on a fresh read of the file
 * (keyring-store.ts), so two processes never lose each other's versions. Another process's rotation
 * becomes visible here after reload(), or by itself when a ciphertext names a version newer than this
 * process knows and the file has changed since (a scheduled rotation in another gateway sharing the
 * data directory: docs/scheduled-jobs.md); a version retired elsewhere stays usable here until reload().
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, IntegrityError, InternalError, InvalidInputError, NotFoundError } from "../errors.js";
import { parseTenantId } from "../names.js";
import { type KeyringFile, type KeyState, parseKeyringFile, unwrapSecret, verifyCheck, wrapKey } from "./keyring-file.js";
import { type KeyringOpenOptions, mayCreateKeyring } from "./keyring-create.js";
import { appendVersion, changeKeyringFile, readKeyringFile } from "./keyring-store.js";
import { KEYRING_FILE, keysDir, MASTER_KEY_BYTES } from "./master-key.js";
import { hkdfSha256 } from "./primitives.js";

export type { KeyringOpenOptions } from "./keyring-create.js";

export interface KeyVersionInfo {
  version: number;
  createdAt: Date;
  state: KeyState;
  retiredAt?: Date;
}
export interface KeyringStats {
  /** Tenant data-key derivations done by this Keyring (each (tenant, version) at most once). */
  tenantKeyDerivations: number;
  digestKeyDerivations: number;
  /** Per-secret data-key derivations (cached per tenant, key version and secret name). */
  secretKeyDerivations: number;
}

const DIGEST_SALT = Buffer.from("polyvault/digest/v1");
const SECRET_KEY_SALT = Buffer.from("polyvault/v1/secret-key");
const SECRET_KEY_INFO = Buffer.from("polyvault/v1/dek|");
/** Per-secret keys kept in memory at most (each 64 bytes). */
export const SECRET_KEY_CACHE = 10_000;

export class Keyring implements Disposable {
  readonly path: string;
  #master: Buffer;
  #file!: KeyringFile;
  #secrets = new Map<number, Buffer>();
  #tenantKeys = new Map<number, Map<string, Buffer>>();
  #digestKeys = new Map<string, Buffer>();
  #stats: KeyringStats = { tenantKeyDerivations: 0, digestKeyDerivations: 0, secretKeyDerivations: 0 };
  /** (version, tenant, name) → data key ‖ commitment; bounded, least recently used evicted and wiped. */
  #secretKeys = new Map<string, { version: number; key: Buffer }>();
  #closed = false;
  /** The file's identity (inode, size, mtime) at the last refresh by #refreshIfChanged. */
  #seen: string | undefined;

  private constructor(path: string, master: Buffer) {
    this.path = path;
    this.#master = master;
  }

  /**
   * Opens <dataDir>/keys/keyring.json. A missing file is created (with key version 1) only as
   * `options.ifMissing` allows (see KeyringOpenOptions): never over a data directory that has been used,
   * since a new keyring cannot open what the old one sealed.
   */
  static async open(dataDir: string, masterKey: Uint8Array, options: KeyringOpenOptions = {}): Promise<Keyring> {
    if (masterKey.length !== MASTER_KEY_BYTES) {
      throw new InvalidInputError(`the master key must be ${MASTER_KEY_BYTES} bytes, got ${masterKey.length}`);
    }
    const kr = new Keyring(join(keysDir(dataDir), KEYRING_FILE), Buffer.from(masterKey));
    try {
      let file = await readKeyringFile(kr.path);
      if (file === undefined) {
        await mayCreateKeyring(dataDir, kr.path, options.ifMissing ?? "if-new");
        // Another process may create it meanwhile: the change re-reads under the lock and adds only if empty.
        file = await changeKeyringFile(kr.path, kr.#master, (f) => f.versions.length === 0 && appendVersion(f, kr.#master), true);
      }
      kr.#load(file);
      return kr;
    } catch (err) {
      kr.close();
      throw err;
    }
  }

  /** The newest key version (always active): new ciphertexts are sealed under it. */
  get current(): number {
    return this.#live().versions.length;
  }

  versions(): KeyVersionInfo[] {
    return this.#live().versions.map((e) => ({
      version: e.version,
      createdAt: new Date(e.createdAt),
      state: e.state,
      ...(e.retiredAt === undefined ? {} : { retiredAt: new Date(e.retiredAt) }),
    }));
  }

  get stats(): Readonly<KeyringStats> {
    return { ...this.#stats };
  }

  /** Adds key version n+1 and makes it current. Returns the new version number. */
  async rotate(): Promise<number> {
    this.#live();
    this.#load(await changeKeyringFile(this.path, this.#master, (file) => appendVersion(file, this.#master)));
    return this.current;
  }

  /**
   * Retires a version: its wrapped secret is destroyed, so everything sealed under it becomes
   * unreadable for good. The caller first makes sure (rewrap) that nothing still uses it.
   */
  async retire(version: number): Promise<void> {
    this.#live();
    const edited = await changeKeyringFile(this.path, this.#master, (file) => {
      const entry = file.versions[version - 1];
      if (!Number.isInteger(version) || entry === undefined) throw new NotFoundError(`key version ${version} does not exist`);
      if (version === file.versions.length) {
        throw new ConflictError(`key version ${version} is the current key version; rotate before retiring it`);
      }
      if (entry.state === "retired") return false;
      entry.state = "retired";
      entry.retiredAt = new Date().toISOString();
      entry.wrappedSecret = null;
      return true;
    });
    this.#load(edited);
  }

  /** Re-reads keys/keyring.json (e.g. after another process rotated). */
  async reload(): Promise<void> {
    this.#live();
    const file = await readKeyringFile(this.path);
    if (file === undefined) throw new NotFoundError(`${this.path} no longer exists`);
    this.#load(file);
  }

  /** The tenant's 32-byte data key for `version` (cached; do not modify the returned Buffer). */
  tenantKey(tenant: string, version: number): Buffer {
    const byTenant = this.#tenantKeys.get(version);
    const hit = byTenant?.get(tenant);
    if (hit !== undefined) return hit;
    const secret = this.#secret(version);
    parseTenantId(tenant);
    const info = Buffer.from(`polyvault/v1|tenant=${tenant}|purpose=data|key-version=${version}`);
    const key = hkdfSha256(this.#master, secret, info, 32);
    this.#stats.tenantKeyDerivations++;
    if (byTenant === undefined) this.#tenantKeys.set(version, new Map([[tenant, key]]));
    else byTenant.set(tenant, key);
    return key;
  }

  /**
   * The per-secret data key and key commitment (64 bytes: key ‖ commitment) of ciphertext suite 2:
   * HKDF-SHA256(tenantKey(tenant, version), "polyvault/v1/secret-key", "polyvault/v1/dek|" ‖ u16 len ‖ name).
   * Derived once and cached like the tenant keys (at most SECRET_KEY_CACHE entries; do not modify).
   */
  secretKey(tenant: string, version: number, name: string): Buffer {
    const id = `${version}\u0000${tenant}\u0000${name}`;
    const hit = this.#secretKeys.get(id);
    if (hit !== undefined) return hit.key;
    const nameBytes = Buffer.from(name, "utf8");
    const info = Buffer.allocUnsafe(SECRET_KEY_INFO.length + 2 + nameBytes.length);
    SECRET_KEY_INFO.copy(info, 0);
    info.writeUInt16BE(nameBytes.length, SECRET_KEY_INFO.length);
    nameBytes.copy(info, SECRET_KEY_INFO.length + 2);
    const key = hkdfSha256(this.tenantKey(tenant, version), SECRET_KEY_SALT, info, 64);
    this.#stats.secretKeyDerivations++;
    if (this.#secretKeys.size >= SECRET_KEY_CACHE) {
      const [oldest, entry] = this.#secretKeys.entries().next().value as [string, { key: Buffer }];
      entry.key.fill(0);
      this.#secretKeys.delete(oldest);
    }
    this.#secretKeys.set(id, { version, key });
    return key;
  }

  /** The tenant's 32-byte digest (HMAC) key, independent of key versions (cached; do not modify). */
  digestKey(tenant: string): Buffer {
    const hit = this.#digestKeys.get(tenant);
    if (hit !== undefined) return hit;
    this.#live();
    parseTenantId(tenant);
    const key = hkdfSha256(this.#master, DIGEST_SALT, Buffer.from(`polyvault/v1|tenant=${tenant}|purpose=digest`), 32);
    this.#stats.digestKeyDerivations++;
    this.#digestKeys.set(tenant, key);
    return key;
  }

  /** Wipes the master key copy, version secrets and every cached key. The keyring is unusable after. */
  close(): void {
    this.#closed = true;
    this.#master.fill(0);
    for (const s of this.#secrets.values()) s.fill(0);
    for (const m of this.#tenantKeys.values()) for (const k of m.values()) k.fill(0);
    for (const k of this.#digestKeys.values()) k.fill(0);
    for (const e of this.#secretKeys.values()) e.key.fill(0);
    this.#secretKeys.clear();
    this.#secrets.clear();
    this.#tenantKeys.clear();
    this.#digestKeys.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #live(): KeyringFile {
    if (this.#closed) throw new InternalError("the keyring is closed");
    return this.#file;
  }

  #secret(version: number): Buffer {
    let entry = this.#live().versions[version - 1];
    if (entry === undefined && Number.isInteger(version) && version > this.#file.versions.length) {
      this.#refreshIfChanged();
      entry = this.#file.versions[version - 1];
    }
    if (entry === undefined || !Number.isInteger(version)) {
      throw new IntegrityError(`key version ${version} is not in this keyring (${this.path})`);
    }
    const secret = this.#secrets.get(version);
    if (entry.state === "retired" || secret === undefined) {
      throw new IntegrityError(`key version ${version} is retired: its key was destroyed, so data sealed under it cannot be opened`);
    }
    return secret;
  }

  /**
   * Re-reads keys/keyring.json when it changed since the last look (another process rotated). Sync,
   * because key derivation is; the file is authenticated by #load (check value, wrapped secrets), and
   * an unchanged file is not read again, so a ciphertext naming a version that does not exist costs a stat.
   */
  #refreshIfChanged(): void {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return; // gone or unreadable: the caller reports the unknown version
    }
    try {
      const st = fstatSync(fd);
      const id = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (!st.isFile() || st.size > 1024 * 1024 || id === this.#seen) return;
      this.#load(parseKeyringFile(readFileSync(fd, "utf8"), this.path));
      this.#seen = id;
    } finally {
      closeSync(fd);
    }
  }

  /** Verifies the master key, unwraps every active version and forgets keys of versions no longer usable. */
  #load(file: KeyringFile): void {
    verifyCheck(file, this.#master);
    const kek = wrapKey(this.#master);
    const next = new Map<number, Buffer>();
    try {
      for (const e of file.versions) if (e.state === "active") next.set(e.version, unwrapSecret(kek, this.path, e));
    } catch (err) {
      for (const s of next.values()) s.fill(0);
      throw err;
    } finally {
      kek.fill(0);
    }
    // A version whose secret is gone or changed (retired, or keyring.json replaced) loses its cached keys.
    for (const [version, old] of this.#secrets) {
      const same = next.get(version)?.equals(old) === true;
      old.fill(0);
      if (same) continue;
      for (const k of this.#tenantKeys.get(version)?.values() ?? []) k.fill(0);
      this.#tenantKeys.delete(version);
      for (const [id, e] of this.#secretKeys) {
        if (e.version !== version) continue;
        e.key.fill(0);
        this.#secretKeys.delete(id);
      }
    }
    this.#secrets = next;
    this.#file = file;
  }
}
