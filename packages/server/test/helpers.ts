/**
 * A gateway over file providers in a fresh data directory, with its pino output captured: `primary`
 * (tenant acme's primary, in its own directory so a test can make it unreachable), `mirror` (acme's
 * mirror, fed by the `acme-mirror` route on every write) and `local` (every other tenant's).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PolyvaultConfig, Runtime } from "@polyvault/runtime";
import type { FastifyInstance } from "fastify";
import { type ServerOptions, createServer } from "../src/index.js";

export const sha = (t: string) => createHash("sha256").update(t).digest("hex");

export const TOKENS = {
  admin: "tok-admin-7d1c0b9e4f",
  writer: "tok-writer-3a8e6c2d11",
  reader: "tok-reader-5b7f9a0c22",
  operator: "tok-operator-9e2d4b6a33",
  auditor: "tok-auditor-1c3e5a7b44",
  locked: "tok-locked-8f6d4b2a55",
} as const;

export function accessConfig(lockSeconds = 900): NonNullable<PolyvaultConfig["access"]> {
  return {
    principals: {
      admin: { tokenSha256: sha(TOKENS.admin), roles: [{ role: "admin", tenants: ["*"] }] },
      writer: { tokenSha256: sha(TOKENS.writer), roles: [{ role: "writer", tenants: ["acme"] }] },
      reader: { tokenSha256: sha(TOKENS.reader), roles: [{ role: "reader", tenants: ["acme"], secrets: ["db/*"] }] },
      operator: { tokenSha256: sha(TOKENS.operator), roles: [{ role: "operator", tenants: ["*"] }] },
      auditor: { tokenSha256: sha(TOKENS.auditor), roles: [{ role: "auditor", tenants: ["*"] }] },
      locked: { tokenSha256: sha(TOKENS.locked), roles: [{ role: "reader", tenants: ["globex"] }] },
    },
    lockout: { maxFailures: 3, windowSeconds: 300, lockSeconds },
  };
}

export interface Bed {
  readonly dir: string;
  readonly rt: Runtime;
  readonly app: FastifyInstance;
  /** Every log line written so far. */
  readonly logs: string[];
  readonly primaryDir: string;
  /** Replaces the primary's directory by a regular file: every call to it fails with UnavailableError. */
  breakPrimary(): void;
  close(): Promise<void>;
}

export async function bed(options: { access?: boolean; server?: ServerOptions; config?: Partial<PolyvaultConfig>; pushOnWrite?: boolean } = {}): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), "pv-server-"));
  const primaryDir = join(dir, "primary-store");
  const config: PolyvaultConfig = {
    providers: { local: { type: "file" }, primary: { type: "file", dir: primaryDir }, mirror: { type: "file", dir: join(dir, "mirror-store") } },
    tenants: { acme: { primary: "primary", mirrors: ["mirror"] } },
    routes: { "acme-mirror": { source: "primary", targets: ["mirror"], tenants: ["acme"] } },
    ...(options.access === false ? {} : { access: accessConfig() }),
    ...options.config,
  };
  const env = { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: TOKENS.admin };
  const rt = await Runtime.open({ dataDir: join(dir, "data"), config, env, pushOnWrite: options.pushOnWrite });
  const logs: string[] = [];
  const app = await createServer(rt, {
    logger: { level: "debug", stream: { write: (s: string) => void logs.push(s) } },
    healthCacheMs: 0,
    healthTimeoutMs: 1000,
    ...options.server,
  });
  return {
    dir,
    rt,
    app,
    logs,
    primaryDir,
    breakPrimary() {
      renameSync(primaryDir, `${primaryDir}.away`);
      writeFileSync(primaryDir, "not a directory");
    },
    async close() {
      await app.close();
      await app.gateway.scopes.flushPushes();
      await app.gateway.scopes.security.close();
      await rt.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** What every state-changing request must carry (request-guard.ts), with or without a body. */
export const JSON_TYPE = { "content-type": "application/json" } as const;

/** A secret name or tenant in a URL path segment. */
export const seg = (s: string) => encodeURIComponent(s);
