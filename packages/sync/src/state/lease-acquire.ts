/**
 * Taking a lease, or the lease of a process that died on this host. Holders are named
 * `<hostname>:<pid>:<random>` (leaseOwner); when a store on this host (SQLite in the data directory) says
 * the lease is held by a pid of this host that no longer runs, it is taken over at once (compare-and-set
 * on the dead holder's name) instead of after its TTL. PostgreSQL frees a dead session's leases itself.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { StateStore } from "./types.js";

/** A lease holder's name for this process: host, pid and a random part (two runners of one process differ). */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** tryLease, then, if a dead process of this host holds it (a local store only), takeOverLease. */
export async function acquireLease(state: StateStore, lease: string, owner: string, ttlMs: number): Promise<boolean> {
  if (await state.tryLease(lease, owner, ttlMs)) return true;
  const holder = await state.leaseHolder(lease);
  const m = holder ? /^(.+):(\d+):[^:]+$/.exec(holder) : null;
  if (!state.local || !holder || !m || m[1] !== hostname() || pidAlive(Number(m[2]))) return false;
  return state.takeOverLease(lease, holder, owner, ttlMs);
}
