// Raw HTTPS to a Key Vault, for what the SDK hides (statuses, headers, error bodies, requests the SDK
// would never send). Works against the project's test server and any vault POLYVAULT_TEST_AZURE_URL
// names: the token comes from the same credential the SDK tests use.
import { request } from "node:https";
import type { TokenCredential } from "@azure/core-auth";

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  readonly json: unknown;
}

export interface RawOptions {
  readonly body?: unknown;
  /** false: no Authorization header; a string: that header as it is; default: a bearer token from the credential. */
  readonly auth?: false | string;
  readonly apiVersion?: string | null;
  readonly host?: string;
}

export function rawClient(vaultUrl: string, credential: TokenCredential, tls: { ca?: string; rejectUnauthorized?: boolean }) {
  let token: string | undefined;
  return async function raw(method: string, path: string, options: RawOptions = {}): Promise<RawAnswer> {
    const url = new URL(path, vaultUrl);
    const version = options.apiVersion === undefined ? "2025-07-01" : options.apiVersion;
    if (version !== null) url.searchParams.set("api-version", version);
    let auth = options.auth;
    if (auth === undefined) {
      token ??= (await credential.getToken("https://vault.azure.net/.default"))?.token;
      auth = `Bearer ${token}`;
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ...tls,
          // A Host header of another name still checks the certificate against the vault's own name.
          ...(options.host ? { servername: url.hostname } : {}),
          headers: {
            accept: "application/json",
            ...(auth ? { authorization: auth } : {}),
            ...(body !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}),
            ...(options.host ? { host: options.host } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  };
}

/** The service's error body: {"error":{"code","message"}} (innererror optional). */
export function errorOf(a: RawAnswer): { code: string; message: string; innererror?: { code: string } } {
  const e = (a.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (!e || typeof e.code !== "string" || typeof e.message !== "string") throw new Error(`not a Key Vault error body (${a.status}): ${a.text.slice(0, 200)}`);
  return e as { code: string; message: string; innererror?: { code: string } };
}
