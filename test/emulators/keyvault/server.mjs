// The project's own Key Vault secrets data-plane server, for tests only (docs/testing.md): HTTPS on
// loopback with a certificate made at start-up, the bearer challenge, api-version checks, throttling,
// then the REST operations of routes.mjs on the in-memory vault of store.mjs.
//
//   const kv = await createKeyVaultServer({ port: 0, transitionMs: 50, budget: { all: 20 } });
//   kv.url, kv.ca (PEM to trust), kv.vault, kv.throttle, kv.counts; await kv.close();
// `onRequest({ method, path, status, at })` is called for every answer (tests that check a client's rate).
import { randomUUID } from "node:crypto";
import { createServer } from "node:https";
import { backups } from "./backup.mjs";
import { KvError, errors } from "./errors.mjs";
import { route } from "./routes.mjs";
import { Vault } from "./store.mjs";
import { Throttle } from "./throttle.mjs";
import { selfSignedCertificate } from "./tls.mjs";
import { parseJson } from "./validate.mjs";

/** The api-versions @azure/keyvault-secrets 4.11 knows (its KnownVersions); the last is its default. */
export const API_VERSIONS = ["7.5", "7.6-preview.2", "7.6", "2025-07-01"];
const LATEST = API_VERSIONS.at(-1);
const MAX_BODY = 1024 * 1024;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** What the SDK's challenge policy parses: the tenant's authority and the resource to ask a token for. */
export function challengeHeader(tenantId) {
  return `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(errors.tooLargeBody());
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function createKeyVaultServer(options = {}) {
  const { host = "127.0.0.1", port = 8443, tenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47", tls = selfSignedCertificate() } = options;
  const vault = options.vault ?? new Vault(options);
  const throttle = new Throttle(options.budget, options.now);
  const seal = backups(options.backupKey);
  const counts = { requests: 0, challenged: 0, throttled: 0, byStatus: {} };

  async function handle(req, res) {
    const requestId = randomUUID();
    const send = (status, body, headers = {}) => {
      counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
      options.onRequest?.({ method: req.method ?? "GET", path: (req.url ?? "/").split("?")[0], status, at: (options.now ?? Date.now)() });
      const text = body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, {
        ...(text ? { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) } : { "content-length": 0 }),
        "cache-control": "no-cache",
        "x-ms-request-id": requestId,
        "x-ms-keyvault-service-version": "polyvault-test",
        ...headers,
      });
      res.end(text);
    };
    counts.requests++;
    try {
      const url = new URL(req.url ?? "/", "https://localhost");
      const hostName = (req.headers.host ?? "").replace(/:\d+$/, "");
      if (!LOOPBACK.has(hostName)) throw errors.badParameter(`This test vault answers only on loopback names, not ${JSON.stringify(hostName)}.`);
      const auth = req.headers.authorization ?? "";
      if (!/^Bearer\s+\S+/i.test(auth)) {
        counts.challenged++;
        req.resume();
        throw Object.assign(errors.missingToken(), { headers: { "www-authenticate": challengeHeader(tenantId) } });
      }
      const isCreate = req.method === "PUT" && url.pathname.startsWith("/secrets/");
      const wait = throttle.take(isCreate);
      if (wait !== undefined) {
        counts.throttled++;
        req.resume();
        throw errors.throttled(wait);
      }
      const apiVersion = url.searchParams.get("api-version");
      if (apiVersion === null || apiVersion === "") throw errors.missingApiVersion();
      if (!API_VERSIONS.includes(apiVersion)) throw errors.badApiVersion(apiVersion, LATEST);
      const body = parseJson(await readBody(req));
      const segments = url.pathname.replace(/^\//, "").split("/").map(decodeURIComponent);
      const out = route(
        { method: req.method ?? "GET", segments, query: url.searchParams, body },
        { vault, base: `https://${req.headers.host}`, apiVersion, backups: seal },
      );
      send(out.status, out.body);
    } catch (err) {
      if (err instanceof KvError) send(err.status, err.body(), err.headers);
      else {
        console.error(`keyvault: internal error: ${err?.stack ?? err}`);
        send(500, { error: { code: "InternalServerError", message: "The test vault failed; see its log." } });
      }
    }
  }

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => void handle(req, res));
  server.keepAliveTimeout = 5000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const actualPort = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  return {
    url: `https://localhost:${actualPort}`,
    port: actualPort,
    ca: tls.cert,
    vault,
    throttle,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
