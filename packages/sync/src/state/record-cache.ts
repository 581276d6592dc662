/**
 * The authenticated records of one secret in one target, kept between failover reads (each such read
 * asks which revision and digest vouch for a mirror's copy). A cached answer is only ever used while the
 * store's `recordsVersion()` is the one read before it was fetched: any commit to the store — by this
 * process, another connection or another process — changes it and empties the cache, so a cached answer
 * is exactly what the store would answer now. A store without `recordsVersion` (PostgreSQL) is never
 * cached. Records hold revisions and keyed digests, never a value.
 */
import { keepBounded } from "@polyvault/core";
import type { SyncRecord } from "./types.js";

/** Bounded: past this many secrets the oldest entry goes (a Map keeps insertion order). */
const MAX_ENTRIES = 50_000;

export class RecordCache {
  readonly #entries = new Map<string, readonly SyncRecord[]>();
  #version: string | undefined;

  constructor(readonly version: (() => string) | undefined) {}

  /** The cached records of (target, tenant, name), else `fetch()`'s (verified) answer, kept. */
  async get(target: string, tenant: string, name: string, fetch: () => Promise<SyncRecord[]>): Promise<SyncRecord[]> {
    if (!this.version) return fetch();
    // Read before the fetch: a commit landing during it changes the version, so its answer is not reused.
    const version = this.version();
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    const key = JSON.stringify([target, tenant, name]);
    const hit = this.#entries.get(key);
    if (hit) return [...hit];
    const fresh = await fetch();
    if (this.#version === version) keepBounded(this.#entries, key, fresh, MAX_ENTRIES);
    return [...fresh];
  }

  clear(): void {
    this.#entries.clear();
  }
}
