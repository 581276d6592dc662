/**
 * Listing pages. The names of a tenant are found by walking its directory, and sorted; a listing of
 * 100,000 secrets in pages of 1,000 would walk (and sort, and hold) all of them once per page. So the
 * sorted names found for a listing's first page are kept for its next pages (by the cursor the page
 * handed out, for at most a minute, a few listings at a time), and only the heads are read per page.
 * A listing therefore shows the names as they were at its first page — a secret created while it runs
 * shows in the next listing, as with any paged cloud listing — while every head is read when its page is
 * (a secret deleted meanwhile is left out). A cursor not found here (another process, expired) walks again.
 */
import { type TenantId, keepBounded } from "@polyvault/core";

const KEEP_MS = 60_000;
const MAX_LISTINGS = 16;

interface Continuation {
  readonly names: readonly string[];
  /** Index in `names` of the first name the next page starts from. */
  readonly next: number;
  readonly at: number;
}

export function createListings(walk: (tenant: TenantId) => Promise<string[]>) {
  const open = new Map<string, Continuation>();
  const key = (tenant: TenantId, cursor: string) => `${tenant}\u0000${cursor}`;

  /** The sorted names from which a page starts (`after`: the last name of the previous page), and where. */
  async function from(tenant: TenantId, cursor: string | undefined, after: string | undefined): Promise<{ names: readonly string[]; start: number }> {
    const now = Date.now();
    for (const [k, c] of open) if (now - c.at > KEEP_MS) open.delete(k);
    const kept = cursor === undefined ? undefined : open.get(key(tenant, cursor));
    if (kept) {
      open.delete(key(tenant, cursor as string));
      return { names: kept.names, start: kept.next };
    }
    const names = await walk(tenant);
    let start = 0;
    if (after !== undefined) {
      // Binary search: the first name after `after`.
      let hi = names.length;
      while (start < hi) {
        const mid = (start + hi) >>> 1;
        if ((names[mid] as string) > after) hi = mid;
        else start = mid + 1;
      }
    }
    return { names, start };
  }

  /** Keeps the names for the page that will come with `cursor`. */
  function keep(tenant: TenantId, cursor: string, names: readonly string[], next: number): void {
    keepBounded(open, key(tenant, cursor), { names, next, at: Date.now() }, MAX_LISTINGS);
  }

  return { from, keep };
}
