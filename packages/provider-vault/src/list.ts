/**
 * list(): KV v2 LIST is one folder level at a time (keys ending in '/' are folders), without paging and
 * without versions, times or custom_metadata. So a page is built by walking the tenant's folder depth
 * first in sorted key order, which yields names in global sorted order (every name below folder `f/`
 * sorts exactly where `f/` sorts among its siblings), reading each secret's metadata for its head, and
 * skipping soft-deleted ones. The cursor is the last name returned: the next page skips whole folders
 * that sort before it and resumes right after it, so pages stay consistent under concurrent writes
 * (a name is never returned twice) without any server-side state.
 *
 * Cost of one page: one LIST per folder on the path to the page's names, plus one metadata read per
 * secret on the page (and one more to know whether a next page exists). No value is read, except for
 * a secret whose custom_metadata does not describe its current version (see state.ts).
 */
import { InvalidInputError, type ListPage, type SecretHead, type TenantId } from "@polyvault/core";
import type { KvV2 } from "./kv.js";
import type { VaultNameCodec } from "./names.js";
import type { Operation } from "./operation.js";
import { inspect } from "./state.js";

const CURSOR_VERSION = 1;
const PARALLEL_READS = 8;

export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, after })).toString("base64url");
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { v?: unknown; after?: unknown };
    if (parsed.v === CURSOR_VERSION && typeof parsed.after === "string") return parsed.after;
  } catch (err) {
    throw new InvalidInputError("invalid list cursor for the vault provider", { cause: err });
  }
  throw new InvalidInputError("invalid list cursor for the vault provider");
}

/** Code-unit order, the order the walk relies on (not locale order). */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Relative paths of every secret below `folder`, sorted, strictly after `after`. */
async function* walk(op: Operation, kv: KvV2, folder: string, rel: string, after: string | undefined): AsyncGenerator<string> {
  const keys = (await kv.listFolder(op, folder)).sort(byCodeUnit);
  for (const key of keys) {
    const path = rel + key;
    if (key.endsWith("/")) {
      // Every name below starts with `path`: skip the folder when all of them sort before the cursor.
      if (after !== undefined && after > path && !after.startsWith(path)) continue;
      yield* walk(op, kv, folder + key, path, after);
    } else if (after === undefined || path > after) {
      yield path;
    }
  }
}

async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, items.length) }, worker));
  return out;
}

export async function listPage(
  op: Operation,
  kv: KvV2,
  codec: VaultNameCodec,
  tenant: TenantId,
  pageSize: number,
  cursor: string | undefined,
): Promise<ListPage> {
  const folder = codec.tenantFolder(tenant);
  const names = walk(op, kv, folder, "", cursor === undefined ? undefined : decodeCursor(cursor));
  const items: SecretHead[] = [];
  let exhausted = false;
  // One more than a page, to know whether another page exists.
  while (items.length <= pageSize && !exhausted) {
    const batch: string[] = [];
    while (batch.length < pageSize + 1 - items.length) {
      const next = await names.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      if (codec.decode(tenant, folder + next.value) !== undefined) batch.push(next.value);
    }
    const heads = await mapLimit(batch, async (name) => (await inspect(op, kv, folder + name, { tenant, name })).head);
    for (const head of heads) if (head) items.push(head);
  }
  const page = items.slice(0, pageSize);
  const last = page.at(-1);
  return items.length > pageSize && last ? { items: page, cursor: encodeCursor(last.name) } : { items: page };
}
