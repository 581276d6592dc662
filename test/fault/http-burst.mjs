// An HTTP proxy on loopback that answers a burst of throttling (429) or unavailability (503) responses,
// in the dialect of the server behind it, and forwards every other request untouched. Toxiproxy works
// on TCP and cannot answer HTTP, so this small Node proxy covers "bursts of 429 and 503". For an https
// upstream (Azure: the Key Vault SDK refuses plain HTTP) the proxy itself speaks HTTPS, with a
// certificate made at start-up, and keeps the Host the client used, so the vault's next-page links
// come back through the proxy.
//
//   const p = await burstProxy("http://127.0.0.1:4566", "aws");
//   p.burst(503, 8);        // the next 8 requests get 503, then requests are forwarded again
//   p.failAlways(503);      // every request gets 503 until forward()
//   p.counts                // { requests, injected, forwarded }
import { readFileSync } from "node:fs";
import { request as httpRequest, createServer } from "node:http";
import { request as httpsRequest, createServer as createHttpsServer } from "node:https";
import { selfSignedCertificate } from "../emulators/keyvault/tls.mjs";

// What each server says when it throttles or is unavailable, so each provider's own error mapping runs.
const DIALECTS = {
  aws: (status) => ({
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": status === 429 ? "ThrottlingException" : "ServiceUnavailableException" },
    body: JSON.stringify(
      status === 429 ? { __type: "ThrottlingException", message: "Rate exceeded" } : { __type: "ServiceUnavailableException", message: "Service unavailable" },
    ),
  }),
  vault: (status) => ({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ errors: [status === 429 ? 'request path "secret/": rate limit quota exceeded' : "Vault is sealed"] }),
  }),
  // Key Vault's throttling answer (with the Retry-After it always sends) and a gateway's 503.
  azure: (status) => ({
    headers: { "content-type": "application/json; charset=utf-8", ...(status === 429 ? { "retry-after": "1" } : {}) },
    body: JSON.stringify(
      status === 429
        ? { error: { code: "Throttled", message: "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached" } }
        : { error: { code: "ServiceUnavailable", message: "The service is temporarily unavailable." } },
    ),
  }),
};

/** Trust for an https upstream: the CA given, or the test Key Vault's when its file is named, else none checked. */
const upstreamTls = (ca) =>
  ca !== undefined
    ? { ca }
    : process.env.POLYVAULT_TEST_AZURE_CA
      ? { ca: readFileSync(process.env.POLYVAULT_TEST_AZURE_CA, "utf8") }
      : { rejectUnauthorized: false };

export async function burstProxy(upstream, dialect, options = {}) {
  const target = new URL(upstream);
  const say = DIALECTS[dialect];
  if (!say) throw new Error(`unknown dialect ${dialect}`);
  let mode = { kind: "forward" };
  const counts = { requests: 0, injected: 0, forwarded: 0 };

  const secure = target.protocol === "https:";
  const handler = (req, res) => {
    counts.requests++;
    const inject = mode.kind === "always" || (mode.kind === "burst" && mode.left > 0);
    if (inject) {
      if (mode.kind === "burst") mode.left--;
      counts.injected++;
      const { headers, body } = say(mode.status);
      req.resume();
      res.writeHead(mode.status, { ...headers, "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    counts.forwarded++;
    const up = (secure ? httpsRequest : httpRequest)(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: secure ? req.headers : { ...req.headers, host: target.host },
        ...(secure ? upstreamTls(options.ca) : {}),
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  };
  const server = secure ? createHttpsServer(selfSignedCertificate(), handler) : createServer(handler);
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();

  return {
    url: `${secure ? "https" : "http"}://127.0.0.1:${port}`,
    counts,
    burst(status, count) {
      mode = { kind: "burst", status, left: count };
    },
    failAlways(status) {
      mode = { kind: "always", status };
    },
    forward() {
      mode = { kind: "forward" };
    },
    /** Requests still to be refused in the current burst (0 when forwarding or failing always). */
    pending: () => (mode.kind === "burst" ? mode.left : 0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
