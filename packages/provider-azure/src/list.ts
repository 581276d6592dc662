/**
 * list(): one page of Key Vault's secret list (properties and tags, no values), filtered to this
 * tenant's namespace. The cursor wraps Key Vault's next-page link; since the SDK sends its bearer token
 * to whatever that link names, a cursor from a caller is re-anchored on the configured vault (path and
 * query only), so a forged cursor can never point the token at another host.
 */
import type { SecretProperties } from "@azure/keyvault-secrets";
import { InvalidInputError, type ListPage, type SecretHead, type TenantId } from "@polyvault/core";
import type { AzureNameCodec } from "./names.js";
import { type Op, fetchSecret, headOf } from "./ops.js";
import { withCallStore } from "./pipeline.js";
import { VERSION_TAG, isManaged, metadataOf } from "./tags.js";

/** Key Vault returns at most 25 secrets a page. */
export const AZURE_MAX_PAGE = 25;

interface CursorBody {
  readonly t: string;
  readonly l: string;
}

export function encodeCursor(tenant: TenantId, link: string): string {
  return Buffer.from(JSON.stringify({ t: tenant, l: link } satisfies CursorBody)).toString("base64url");
}

export function decodeCursor(cursor: string, tenant: TenantId, vaultUrl: string): string {
  const bad = (why: string) => new InvalidInputError(`invalid list cursor for tenant ${tenant}: ${why}`);
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<CursorBody>;
  } catch {
    throw bad("not a cursor returned by this provider");
  }
  if (body.t !== tenant) throw bad("it belongs to another tenant's listing");
  if (typeof body.l !== "string") throw bad("not a cursor returned by this provider");
  let link: URL;
  try {
    link = new URL(body.l);
  } catch {
    throw bad("not a cursor returned by this provider");
  }
  if (!/^\/secrets\/?$/.test(link.pathname)) throw bad("it does not continue a secret listing");
  return new URL(`${link.pathname}${link.search}`, vaultUrl).toString();
}

export async function listPage(
  op: Op,
  codec: AzureNameCodec,
  tenant: TenantId,
  vaultUrl: string,
  options: { cursor?: string | undefined; pageSize?: number | undefined },
): Promise<ListPage> {
  const size = Math.max(1, Math.min(AZURE_MAX_PAGE, Math.floor(options.pageSize ?? AZURE_MAX_PAGE)));
  const link = options.cursor === undefined ? undefined : decodeCursor(options.cursor, tenant, vaultUrl);
  const { page, next } = await op.call((c, abortSignal) =>
    withCallStore(abortSignal, async (store) => {
      const pages = c.listPropertiesOfSecrets({ abortSignal }).byPage({ maxPageSize: size, ...(link !== undefined ? { continuationToken: link } : {}) });
      const first = await pages.next();
      return { page: first.done ? [] : first.value, next: store.nextLink ?? undefined };
    }),
  );
  const items: SecretHead[] = [];
  for (const props of page) {
    const name = codec.decode(tenant, props.name);
    if (name === undefined) continue; // another tenant's, another prefix's, or not Polyvault's naming
    const head = await headFromListing(op, tenant, name, props);
    if (head) items.push(head);
  }
  return next ? { items, cursor: encodeCursor(tenant, next) } : { items };
}

/** A head from list properties; reads the secret only when its version id is not in the tags. */
async function headFromListing(op: Op, tenant: TenantId, name: string, props: SecretProperties): Promise<SecretHead | undefined> {
  const managed = isManaged(props.tags, tenant, name);
  const version = props.version ?? (managed ? props.tags?.[VERSION_TAG] : undefined);
  if (version !== undefined) return { name, version, updatedAt: props.updatedOn ?? props.createdOn, managed, metadata: managed ? metadataOf(props.tags) : {} };
  // Unmanaged, or written by a put() interrupted before it tagged the version: read it.
  const current = await fetchSecret(op, props.name);
  return current ? headOf(op, tenant, name, current) : undefined; // deleted since the page was listed
}
