// Throttling, server faults and permission errors, which moto never produces: a loopback HTTP server
// answers with Secrets Manager's own error shapes so that the mapping and the retry policy are observed.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TenantId } from "@polyvault/core";
import { ThrottledError, UnauthorizedError, UnavailableError } from "@polyvault/core";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsProvider } from "../src/index.js";

type Reply = { status: number; type?: string; message?: string; headers?: Record<string, string>; body?: unknown };
const tenant = "acme" as TenantId;
let server: Server | undefined;
const stop = () =>
  new Promise<void>((r) => {
    const s = server;
    server = undefined;
    if (!s) return r();
    s.close(() => r());
    s.closeAllConnections(); // the SDK keeps connections alive
  });
afterEach(stop);

/** Serves `replies` in order (the last one repeats) and counts requests. */
async function serve(replies: Reply[]) {
  const seen = { requests: 0 };
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const r = replies[Math.min(seen.requests++, replies.length - 1)] as Reply;
    const body = r.type ? { __type: r.type, message: r.message ?? r.type } : r.body;
    res.writeHead(r.status, { "content-type": "application/x-amz-json-1.1", ...r.headers });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const provider = createAwsProvider({
    name: "aws",
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    timeoutMs: 5_000,
    retries: 2,
  });
  return { seen, provider };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("aws provider retry policy and error mapping", () => {
  it("retries throttling, waiting at least Retry-After", async () => {
    const { seen, provider } = await serve([
      { status: 400, type: "ThrottlingException", message: "Rate exceeded", headers: { "retry-after": "1" } },
      { status: 200, body: { SecretList: [] } },
    ]);
    const start = performance.now();
    expect(await provider.list(tenant)).toEqual({ items: [] });
    expect(performance.now() - start).toBeGreaterThanOrEqual(1_000);
    expect(seen.requests).toBe(2);
  });

  it("gives ThrottledError after retries + 1 attempts", async () => {
    const { seen, provider } = await serve([{ status: 429, type: "ThrottlingException", headers: { "retry-after": "0" } }]);
    const err = await failure(provider.list(tenant));
    expect(err).toBeInstanceOf(ThrottledError);
    expect(seen.requests).toBe(3);
  });

  it("retries server faults, then gives UnavailableError", async () => {
    const { seen, provider } = await serve([{ status: 500, type: "InternalServiceError" }]);
    expect(await failure(provider.head(tenant, "db"))).toBeInstanceOf(UnavailableError);
    expect(seen.requests).toBe(3);
  });

  it("does not retry a permission failure, and never calls it NotFound", async () => {
    for (const type of ["AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"]) {
      const { seen, provider } = await serve([{ status: 400, type }]);
      expect(await failure(provider.head(tenant, "db")), type).toBeInstanceOf(UnauthorizedError);
      expect(seen.requests).toBe(1);
      await provider.close();
      await stop();
    }
  });

  it("gives up at Retry-After beyond the deadline instead of ignoring it", async () => {
    const { seen, provider } = await serve([{ status: 400, type: "ThrottlingException", headers: { "retry-after": "60" } }]);
    const err = await failure(provider.list(tenant));
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).retryAfterMs).toBe(60_000);
    // One request, no wait: waiting out the 60 s would run past this test's timeout.
    expect(seen.requests).toBe(1);
  });
});
