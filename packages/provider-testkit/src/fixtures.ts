import { randomBytes } from "node:crypto";
import { type Provider, type TenantId, parseTenantId } from "@polyvault/core";

/** A tenant id unique to this run, so runs against a long-lived server never see each other's data. */
export function freshTenant(label: string): TenantId {
  return parseTenantId(`ct-${label}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`);
}

export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
export const UNICODE = Buffer.from("mot de passe: é, 秘密, пароль, 🔐, \u0000 end", "utf8");

/** Run `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export async function exists(provider: Provider, tenant: TenantId, name: string): Promise<boolean> {
  try {
    await provider.head(tenant, name);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "NOT_FOUND") return false;
    throw err;
  }
}
