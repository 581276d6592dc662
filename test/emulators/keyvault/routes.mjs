// The secrets data-plane operations of the Key Vault REST reference, one route each. A handler returns
// { status, body } or throws a KvError; nothing here knows about HTTP or TLS.
import { MAX_PAGE, bundle, item, page, pageParams } from "./bundles.mjs";
import { errors } from "./errors.mjs";
import { NAME, VERSION_ID } from "./store.mjs";
import { restoreBody, setBody, updateBody } from "./validate.mjs";

const ok = (body) => ({ status: 200, body });

function checkName(name) {
  if (!NAME.test(name)) throw errors.invalidName(name);
  return name;
}

/** A version segment that is not 32 hex digits names no version: 404, as for an unknown id. */
function checkVersion(name, version) {
  if (version !== undefined && !VERSION_ID.test(version)) throw errors.notFound(`${name}/${version}`);
  return version;
}

const byName = (r) => r.entry.name.toLowerCase();
const byVersion = (r) => r.version.id;

/**
 * @param {{ method: string, segments: string[], query: URLSearchParams, body: unknown }} req
 * @param {{ vault: import("./store.mjs").Vault, base: string, apiVersion: string, backups: { seal(s: object): string, open(b: string): object } }} ctx
 */
export function route(req, ctx) {
  const { method, segments: s, query, body } = req;
  const { vault, base, apiVersion } = ctx;
  const [root, a, b, c] = s;
  const n = s.length;
  const one = (r, withValue = false) => ok(bundle(base, vault, r, { withValue }));

  if (root === "secrets") {
    if (n === 1 && method === "GET") {
      const p = page(vault.list(), byName, pageParams(query), `${base}/secrets`, apiVersion, (r) => item(base, vault, r));
      return ok(p);
    }
    if (n === 2 && a === "restore" && method === "POST") return one(vault.restore(ctx.backups.open(restoreBody(body))));
    if (n === 2 && method === "PUT") return one(vault.set(checkName(a), setBody(body)), true);
    if (n === 2 && method === "DELETE") return one(vault.delete(checkName(a)));
    if (n === 3 && b === "versions" && method === "GET") {
      const rows = vault.versions(checkName(a));
      const p = page(rows, byVersion, pageParams(query), `${base}/secrets/${rows[0]?.entry.name ?? a}/versions`, apiVersion, (r) =>
        item(base, vault, r, { withVersion: true }),
      );
      return ok(p);
    }
    if (n === 3 && b === "backup" && method === "POST") return ok({ value: ctx.backups.seal(vault.snapshot(checkName(a))) });
    if ((n === 2 || n === 3) && method === "GET") return one(vault.get(checkName(a), checkVersion(a, b || undefined)), true);
    if ((n === 2 || n === 3) && method === "PATCH") return one(vault.update(checkName(a), checkVersion(a, b || undefined), updateBody(body)));
  }
  if (root === "deletedsecrets") {
    if (n === 1 && method === "GET") {
      const p = page(vault.listDeleted(), byName, pageParams(query), `${base}/deletedsecrets`, apiVersion, (r) => item(base, vault, r));
      return ok(p);
    }
    if (n === 2 && method === "GET") return one(vault.getDeleted(checkName(a)));
    if (n === 2 && method === "DELETE") {
      vault.purge(checkName(a));
      return { status: 204, body: undefined };
    }
    if (n === 3 && b === "recover" && method === "POST") return one(vault.recover(checkName(a)));
  }
  if (c !== undefined || !["secrets", "deletedsecrets"].includes(root)) throw errors.noRoute(method, `/${s.join("/")}`);
  throw errors.notAllowed(method, `/${s.join("/")}`);
}

export { MAX_PAGE };
