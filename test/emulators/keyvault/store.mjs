// The vault's state: secrets (case-insensitive names), their versions, and the soft-delete life cycle
// active → deleting → deleted → (recovering → active | purging → gone), each transition taking
// `transitionMs` as the service's own deletes and recoveries take a moment. Transitions settle lazily
// on the next access, so there is no timer to leak.
import { randomBytes } from "node:crypto";
import { errors } from "./errors.mjs";

export const NAME = /^[0-9a-zA-Z-]{1,127}$/;
export const VERSION_ID = /^[0-9a-f]{32}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

export class Vault {
  #entries = new Map();

  constructor({ recoverableDays = 90, purgeProtection = false, softDelete = true, transitionMs = 300, now = () => Date.now() } = {}) {
    if (softDelete && !(recoverableDays >= 7 && recoverableDays <= 90)) throw new Error("recoverableDays must be 7 to 90 (the service's range)");
    this.recoverableDays = softDelete ? recoverableDays : undefined;
    this.purgeProtection = softDelete && purgeProtection;
    this.softDelete = softDelete;
    this.transitionMs = transitionMs;
    this.now = now;
    // The names the service gives these settings (DeletionRecoveryLevel in the REST reference).
    const custom = softDelete && recoverableDays < 90 ? "Customized" : "";
    this.recoveryLevel = !softDelete ? "Purgeable" : `${custom}Recoverable${this.purgeProtection ? "" : "+Purgeable"}`;
  }

  /** The entry under this name (any case), its pending transition settled, or undefined. */
  #entry(name) {
    const key = name.toLowerCase();
    const e = this.#entries.get(key);
    if (!e || e.until === undefined || e.until > this.now()) return e;
    e.until = undefined;
    if (e.state === "deleting") e.state = "deleted";
    else if (e.state === "recovering") e.state = "active";
    else if (e.state === "purging") {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #active(name, idName = name) {
    const e = this.#entry(name);
    if (e?.state !== "active") throw errors.notFound(idName);
    return e;
  }

  #version(e, version, idName) {
    const v = e.versions.get(version ?? e.latest);
    if (!v) throw errors.notFound(idName);
    return v;
  }

  /** A new version (creating the secret when absent); refused while the name is deleted or in transition. */
  set(name, { value, contentType, tags, attributes = {} }) {
    let e = this.#entry(name);
    if (e?.state === "deleting" || e?.state === "purging") throw errors.beingDeleted(name);
    if (e?.state === "recovering") throw errors.beingRecovered(name);
    if (e?.state === "deleted") throw errors.deletedButRecoverable(name);
    if (!e) {
      e = { name, versions: new Map(), latest: undefined, state: "active" };
      this.#entries.set(name.toLowerCase(), e);
    }
    const t = this.now();
    const v = { id: randomBytes(16).toString("hex"), value, contentType, tags, enabled: attributes.enabled ?? true, created: t, updated: t };
    if (attributes.nbf !== undefined) v.nbf = attributes.nbf;
    if (attributes.exp !== undefined) v.exp = attributes.exp;
    e.versions.set(v.id, v);
    e.latest = v.id;
    return { entry: e, version: v };
  }

  /** The value-bearing read: a disabled version is refused (nbf/exp are informational, as documented). */
  get(name, version) {
    const idName = version ? `${name}/${version}` : name;
    const e = this.#active(name, idName);
    const v = this.#version(e, version, idName);
    if (!v.enabled) throw errors.disabled("get");
    return { entry: e, version: v };
  }

  update(name, version, { contentType, tags, attributes = {} }) {
    const idName = version ? `${name}/${version}` : name;
    const e = this.#active(name, idName);
    const v = this.#version(e, version, idName);
    if (contentType !== undefined) v.contentType = contentType;
    if (tags !== undefined) v.tags = tags;
    for (const k of ["enabled", "nbf", "exp"]) if (attributes[k] !== undefined) v[k] = attributes[k];
    v.updated = this.now();
    return { entry: e, version: v };
  }

  /** Active secrets (latest version each), sorted by name as the service lists them. */
  list() {
    return this.#all("active").map((e) => ({ entry: e, version: e.versions.get(e.latest) }));
  }

  versions(name) {
    const e = this.#active(name);
    return [...e.versions.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((v) => ({ entry: e, version: v }));
  }

  delete(name) {
    const e = this.#active(name);
    const latest = e.versions.get(e.latest);
    if (!this.softDelete) {
      this.#entries.delete(name.toLowerCase());
      return { entry: e, version: latest };
    }
    const t = this.now();
    Object.assign(e, { state: "deleting", until: t + this.transitionMs, deletedDate: t, scheduledPurgeDate: t + this.recoverableDays * DAY_MS });
    return { entry: e, version: latest, deleted: true };
  }

  getDeleted(name) {
    const e = this.#entry(name);
    if (e?.state !== "deleted") throw errors.deletedNotFound(name);
    return { entry: e, version: e.versions.get(e.latest), deleted: true };
  }

  listDeleted() {
    return this.#all("deleted").map((e) => ({ entry: e, version: e.versions.get(e.latest), deleted: true }));
  }

  recover(name) {
    const e = this.#entry(name);
    if (e?.state === "deleting") throw errors.beingDeleted(name);
    if (e?.state !== "deleted") throw errors.deletedNotFound(name);
    Object.assign(e, { state: "recovering", until: this.now() + this.transitionMs, deletedDate: undefined, scheduledPurgeDate: undefined });
    return { entry: e, version: e.versions.get(e.latest) };
  }

  purge(name) {
    const e = this.#entry(name);
    if (e?.state === "deleting") throw errors.beingDeleted(name);
    if (e?.state !== "deleted") throw errors.deletedNotFound(name);
    if (this.purgeProtection) throw errors.purgeProtected();
    Object.assign(e, { state: "purging", until: this.now() + this.transitionMs });
  }

  /** Every version of an active secret, for a backup blob. */
  snapshot(name) {
    const e = this.#active(name);
    return { name: e.name, latest: e.latest, versions: [...e.versions.values()].map((v) => ({ ...v })) };
  }

  /** Puts back a snapshot; the name must be free (neither active nor deleted). */
  restore(snap) {
    const e = this.#entry(snap.name);
    if (e?.state === "deleting" || e?.state === "purging") throw errors.beingDeleted(snap.name);
    if (e?.state === "recovering") throw errors.beingRecovered(snap.name);
    if (e?.state === "deleted") throw errors.deletedButRecoverable(snap.name);
    if (e) throw errors.alreadyExists(snap.name);
    const entry = { name: snap.name, versions: new Map(snap.versions.map((v) => [v.id, { ...v }])), latest: snap.latest, state: "active" };
    this.#entries.set(snap.name.toLowerCase(), entry);
    return { entry, version: entry.versions.get(entry.latest) };
  }

  #all(state) {
    const out = [];
    for (const key of [...this.#entries.keys()].sort()) {
      const e = this.#entry(key);
      if (e?.state === state) out.push(e);
    }
    return out;
  }
}
