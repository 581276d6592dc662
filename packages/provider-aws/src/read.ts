/** list, get, getMany and versions: reads that never change anything. */
import {
  BatchGetSecretValueCommand,
  type DescribeSecretResponse,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  type SecretListEntry,
  type SecretValueEntry,
} from "@aws-sdk/client-secrets-manager";
import type { ListOptions, ListPage, SecretHead, StoredSecret, TenantId, VersionInfo } from "@polyvault/core";
import { InvalidInputError, NotFoundError } from "@polyvault/core";
import { type AwsContext, toHead, storedValueOf } from "./context.js";
import { unframe } from "./frame.js";
import { toPolyvaultError } from "./errors.js";
import type { Operation } from "./retry.js";

export const MAX_PAGE = 100; // ListSecrets MaxResults
export const BATCH_GET_MAX = 20; // BatchGetSecretValue SecretIdList
const NAME_FILTER_MAX = 10; // values per ListSecrets filter

/** One page of the tenant's namespace, heads straight from ListSecrets (tags + stages, no value read). */
export async function list(ctx: AwsContext, tenant: TenantId, options: ListOptions = {}): Promise<ListPage> {
  const ns = ctx.codec.tenantPrefix(tenant);
  const size = Math.min(Math.max(1, options.pageSize ?? MAX_PAGE), MAX_PAGE);
  const page = await ctx.op().call(`list ${tenant}`, (abortSignal) =>
    ctx.sm().send(
      new ListSecretsCommand({
        Filters: [{ Key: "name", Values: [ns] }],
        MaxResults: size,
        ...(options.cursor === undefined ? {} : { NextToken: decodeCursor(ctx, ns, options.cursor) }),
      }),
      { abortSignal },
    ),
  );
  const items = (page.SecretList ?? []).flatMap((s) => {
    const head = headOf(ctx, tenant, s);
    return head ? [head] : [];
  });
  return page.NextToken ? { items, cursor: encodeCursor(ns, page.NextToken) } : { items };
}

/**
 * The cursor wraps AWS's NextToken with the namespace it belongs to, so a cursor from another tenant's
 * (or another prefix's) listing, or a mangled one, is refused before any call.
 */
function encodeCursor(ns: string, next: string): string {
  return Buffer.from(JSON.stringify({ ns, next })).toString("base64url");
}

function decodeCursor(ctx: AwsContext, ns: string, cursor: string): string {
  try {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { ns?: unknown; next?: unknown };
    if (c.ns === ns && typeof c.next === "string" && c.next.length > 0) return c.next;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  throw new InvalidInputError(`list: the cursor is not one this provider returned for this tenant`, { provider: ctx.providerName });
}

function headOf(ctx: AwsContext, tenant: TenantId, s: SecretListEntry): SecretHead | undefined {
  // The name filter is a prefix match; decode() keeps exactly this tenant's namespace.
  const name = s.Name === undefined ? undefined : ctx.codec.decode(tenant, s.Name);
  if (name === undefined || s.DeletedDate) return undefined;
  return toHead(name, tenant, s.Tags, s.SecretVersionsToStages, s.LastChangedDate);
}

/** AWS version ids are 32–64 characters: anything else cannot exist, so it is NotFound without a call. */
const plausibleVersion = (v: string) => v.length >= 32 && v.length <= 64;

export async function get(ctx: AwsContext, tenant: TenantId, name: string, version?: string): Promise<StoredSecret> {
  const native = ctx.native(tenant, name);
  const what = `get ${tenant}/${name}${version === undefined ? "" : `@${version}`}`;
  if (version !== undefined && !plausibleVersion(version)) throw new NotFoundError(`${what}: no such version`, { provider: ctx.providerName });
  const op = ctx.op();
  // Describe for tags and the deletion mark, GetSecretValue for the bytes; in parallel.
  const [d, v] = await Promise.all([
    ctx.describe(op, native, what),
    op.call(what, (abortSignal) =>
      ctx
        .sm()
        .send(new GetSecretValueCommand(version === undefined ? { SecretId: native, VersionStage: "AWSCURRENT" } : { SecretId: native, VersionId: version }), {
          abortSignal,
        }),
    ),
  ]);
  const value = storedValueOf(v);
  if (!d || d.DeletedDate || value === undefined || v.VersionId === undefined) throw new NotFoundError(`${what}: not found`, { provider: ctx.providerName });
  return stored(name, tenant, d, v.VersionId, v.CreatedDate, value);
}

function stored(name: string, tenant: TenantId, d: Pick<DescribeSecretResponse, "Tags">, version: string, at: Date | undefined, bytes: Buffer): StoredSecret {
  // toHead reports the current version; here the head is the version that was read, with its own date.
  const head = toHead(name, tenant, d.Tags, { [version]: ["AWSCURRENT"] }, at) as SecretHead;
  // Only Polyvault's own secrets carry frames; the version's own metadata is what it was written with.
  if (!head.managed) return { ...head, value: bytes };
  const { value, metadata } = unframe(bytes);
  return { ...head, metadata: metadata ?? head.metadata, value };
}

export async function getMany(ctx: AwsContext, tenant: TenantId, names: readonly string[]): Promise<Map<string, StoredSecret>> {
  const byNative = new Map([...new Set(names)].map((n) => [ctx.native(tenant, n), n]));
  const natives = [...byNative.keys()];
  const op = ctx.op();
  const out = new Map<string, StoredSecret>();
  for (let i = 0; i < natives.length; i += BATCH_GET_MAX) {
    const chunk = natives.slice(i, i + BATCH_GET_MAX);
    const [values, entries] = await Promise.all([batchValues(ctx, op, tenant, chunk), listExact(ctx, op, tenant, chunk)]);
    for (const v of values) {
      const name = byNative.get(v.Name ?? "");
      const entry = entries.get(v.Name ?? "");
      const value = storedValueOf(v);
      if (name === undefined || value === undefined || v.VersionId === undefined) continue;
      // Written between the two calls and not yet listed: its tags come from a describe.
      const tagsOf = entry ?? (await ctx.describe(op, v.Name ?? "", `get ${tenant}/${name}`));
      if (!tagsOf || tagsOf.DeletedDate) continue;
      out.set(name, stored(name, tenant, tagsOf, v.VersionId, v.CreatedDate, value));
    }
  }
  return out;
}

async function batchValues(ctx: AwsContext, op: Operation, tenant: TenantId, chunk: string[]): Promise<SecretValueEntry[]> {
  const what = `getMany ${tenant} (${chunk.length} names)`;
  const values: SecretValueEntry[] = [];
  let token: string | undefined;
  do {
    const r = await op.call(what, (abortSignal) =>
      ctx.sm().send(new BatchGetSecretValueCommand({ SecretIdList: chunk, ...(token ? { NextToken: token } : {}) }), { abortSignal }),
    );
    values.push(...(r.SecretValues ?? []));
    for (const e of r.Errors ?? []) {
      const err = toPolyvaultError({ name: e.ErrorCode, message: e.Message }, { provider: ctx.providerName, what: `${what}: ${e.SecretId}` });
      if (!(err instanceof NotFoundError)) throw err; // absent (or pending deletion) is simply left out
    }
    token = r.NextToken;
  } while (token);
  return values;
}

/** Tags and deletion marks for exact native names, through ListSecrets' (prefix) name filter. */
async function listExact(ctx: AwsContext, op: Operation, tenant: TenantId, natives: string[]): Promise<Map<string, SecretListEntry>> {
  const found = new Map<string, SecretListEntry>();
  const wanted = new Set(natives);
  for (let i = 0; i < natives.length; i += NAME_FILTER_MAX) {
    const values = natives.slice(i, i + NAME_FILTER_MAX);
    let token: string | undefined;
    do {
      const r = await op.call(`getMany ${tenant} (tags)`, (abortSignal) =>
        ctx.sm().send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: values }], MaxResults: MAX_PAGE, ...(token ? { NextToken: token } : {}) }), {
          abortSignal,
        }),
      );
      for (const s of r.SecretList ?? []) if (s.Name !== undefined && wanted.has(s.Name)) found.set(s.Name, s);
      token = r.NextToken;
    } while (token);
  }
  return found;
}

export async function versions(ctx: AwsContext, tenant: TenantId, name: string): Promise<VersionInfo[]> {
  const native = ctx.native(tenant, name);
  const what = `versions ${tenant}/${name}`;
  const op = ctx.op();
  const head = await ctx.head(op, tenant, name, what); // NotFound when absent or pending deletion
  const all: VersionInfo[] = [];
  let token: string | undefined;
  do {
    const r = await op.call(what, (abortSignal) =>
      ctx.sm().send(new ListSecretVersionIdsCommand({ SecretId: native, IncludeDeprecated: true, ...(token ? { NextToken: token } : {}) }), {
        abortSignal,
      }),
    );
    for (const v of r.Versions ?? []) if (v.VersionId) all.push({ version: v.VersionId, createdAt: v.CreatedDate, current: v.VersionId === head.version });
    token = r.NextToken || undefined;
  } while (token);
  return newestFirst(all);
}

/** Polyvault's version ids start with the write time (ms, hex): an order that survives equal CreatedDates. */
function writtenAt(version: string): number {
  const m = /^([0-9a-f]{12})-/.exec(version);
  return m ? Number.parseInt(m[1] as string, 16) : -1;
}

function newestFirst(all: VersionInfo[]): VersionInfo[] {
  const rank = (v: VersionInfo) => [v.createdAt?.getTime() ?? -1, v.current ? 1 : 0, writtenAt(v.version)];
  return all.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (rb[i] as number) - (ra[i] as number);
    return 0;
  });
}
