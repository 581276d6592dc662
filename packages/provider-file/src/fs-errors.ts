/** Any file-system failure other than the ones mapped by the provider (ENOTDIR, EACCES, EIO, ENOSPC…) is UnavailableError. */
import { type Provider, UnavailableError, isPolyvaultError } from "@polyvault/core";

export function withFsErrorsMapped(p: Provider, name: string): Provider {
  const wrap =
    <A extends unknown[], R>(op: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        if (isPolyvaultError(err)) throw err;
        const code = (err as NodeJS.ErrnoException).code ?? "error";
        throw new UnavailableError(`file provider ${name}: ${op} failed (${code}): ${(err as Error).message}`, { cause: err, provider: name });
      }
    };
  return {
    ...p,
    list: wrap("list", p.list),
    head: wrap("head", p.head),
    get: wrap("get", p.get),
    getMany: wrap("getMany", p.getMany),
    put: wrap("put", p.put),
    delete: wrap("delete", p.delete),
    versions: wrap("versions", p.versions),
    ...(p.rewriteVersion ? { rewriteVersion: wrap("rewriteVersion", p.rewriteVersion) } : {}),
    ...(p.listTenants ? { listTenants: wrap("listTenants", p.listTenants) } : {}),
  };
}
