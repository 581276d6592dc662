/**
 * The in-memory caches of the read path (valid names, file paths, checked digests, sync records, open
 * listings, rate counts) keep at most a fixed number of entries: a Map keeps insertion order, so the
 * oldest entry is the first one. keepBounded pushes out the entry set first; keepRecent the one set or
 * touched least recently (for counts, where a key still in use must not be the one to go).
 */

/** Sets `key` to `value` in `map`; a new key past `max` entries pushes the oldest out first. */
export function keepBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/** Sets `key` to `value` in `map` as its most recent entry; a new key past `max` entries pushes the least recent out first. */
export function keepRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.has(key)) map.delete(key);
  else if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
