/**
 * The file provider's read cache: the newest version of the secrets read lately, so that a hot secret's
 * read costs two `stat` calls instead of a link check, a directory listing and an open/fstat/read/close of
 * its version file (six trips to libuv's thread pool: 40 % of a gateway GET's CPU, docs/benchmarks.md).
 *
 * What it holds is what the store holds: the version file's header fields and the sealed envelope (the
 * core decrypts and checks it on every read, as it does what the disk gives). An entry is used only while
 * both the secret's directory and the version file are the very ones it was read from, unchanged:
 *
 * - Every write of the store lands by a rename into the secret's directory (a new version, a rewrap, the
 *   soft-delete marker, a crash's temporary file) or moves the directory away (purge), so it changes the
 *   directory's inode or its change time. A version file rewritten in place, or replaced, changes the
 *   file's change time or inode. A change time cannot be set back by anyone but the clock's owner
 *   (utimes sets it to now).
 * - Both `stat` results are taken before the read they vouch for, so a write racing the read leaves the
 *   entry older than the disk and the next `stat` sees it.
 * - A file system stamps times from a clock that ticks (a few ms on Linux; 1 s or 2 s on some), so two
 *   changes in one tick look alike. As git does with its index ("racy git"), an entry is not kept while
 *   either time is less than `RACY_MS` old: a secret written in the last second is read from the disk.
 * - Entries are read again from the disk after `MAX_AGE_MS` whatever the `stat`s say, and the cache
 *   holds at most `MAX_ENTRIES` secrets and `MAX_BYTES` of envelopes (oldest out first).
 *
 * The `stat`s of a hit are made on the event loop: the kernel answers them from its inode and dentry
 * caches in about a microsecond each, where a trip to the thread pool costs ten times that in CPU. A miss
 * (or a store on a network file system, where the option `readCache: false` turns the cache off) takes
 * the thread pool as before. docs/architecture.md ("The file provider's read cache") says all of this to users.
 */
import { lstatSync, type Stats } from "node:fs";
import type { StoredSecret } from "@polyvault/core";

export const RACY_MS = 1_000;
export const MAX_AGE_MS = 60_000;
export const MAX_ENTRIES = 10_000;
export const MAX_BYTES = 32 * 1024 * 1024;

/** What identifies one state of a directory or file: which inode, and its last change. */
interface Mark {
  readonly dev: number;
  readonly ino: number;
  readonly ctimeMs: number;
  readonly mtimeMs: number;
  readonly size: number;
}

interface Entry {
  readonly dir: Mark;
  readonly file: string;
  readonly fileMark: Mark;
  readonly at: number;
  readonly record: StoredSecret;
}

/** A mark of `path` now, without following a link at the last component; undefined when it is gone. */
export function markOf(path: string): Mark | undefined {
  let st: Stats | undefined;
  try {
    st = lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  return st && { dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs, mtimeMs: st.mtimeMs, size: st.size };
}

const same = (a: Mark, b: Mark | undefined): boolean =>
  b !== undefined && a.ino === b.ino && a.dev === b.dev && a.ctimeMs === b.ctimeMs && a.mtimeMs === b.mtimeMs && a.size === b.size;

const settled = (m: Mark, now: number): boolean => m.ctimeMs < now - RACY_MS && m.mtimeMs < now - RACY_MS;

/** A copy the caller may wipe (the core zeroes envelopes it has read) and change. */
function copy(record: StoredSecret, withValue: boolean): StoredSecret {
  return { ...record, metadata: { ...record.metadata }, value: withValue ? Buffer.from(record.value) : Buffer.alloc(0) };
}

export interface ReadCache {
  /** The cached newest version of the secret whose directory is `dir`, when it is still the disk's. */
  get(dir: string, withValue: boolean): StoredSecret | undefined;
  /** Keeps what was read (with the marks taken before reading), unless a mark is too recent to trust. */
  keep(dir: string, dirMark: Mark | undefined, file: string, fileMark: Mark | undefined, record: StoredSecret): void;
  /** Drops the secret (this process wrote it). */
  forget(dir: string): void;
  readonly size: number;
}

export interface ReadCacheLimits {
  readonly clock?: () => number;
  readonly maxEntries?: number;
  readonly maxBytes?: number;
}

export function createReadCache(limits: ReadCacheLimits = {}): ReadCache {
  const { clock = Date.now, maxEntries = MAX_ENTRIES, maxBytes = MAX_BYTES } = limits;
  const entries = new Map<string, Entry>();
  let bytes = 0;
  const drop = (dir: string) => {
    const e = entries.get(dir);
    if (!e) return;
    entries.delete(dir);
    bytes -= e.record.value.length;
    e.record.value.fill(0);
  };
  return {
    get(dir, withValue) {
      const e = entries.get(dir);
      if (!e) return undefined;
      if (clock() - e.at > MAX_AGE_MS || !same(e.dir, markOf(dir)) || !same(e.fileMark, markOf(e.file))) {
        drop(dir);
        return undefined;
      }
      return copy(e.record, withValue);
    },
    keep(dir, dirMark, file, fileMark, record) {
      drop(dir);
      const now = clock();
      if (!dirMark || !fileMark || !settled(dirMark, now) || !settled(fileMark, now)) return;
      if (record.value.length > maxBytes / 16) return;
      entries.set(dir, { dir: dirMark, file, fileMark, at: now, record: copy(record, true) });
      bytes += record.value.length;
      for (const [oldest] of entries) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        drop(oldest);
      }
    },
    forget: drop,
    get size() {
      return entries.size;
    },
  };
}
