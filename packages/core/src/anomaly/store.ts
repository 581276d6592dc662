/**
 * The baseline on disk: <dataDir>/anomaly-baseline.json (0600), replaced atomically under
 * <dataDir>/anomaly-baseline.lock, so every process of a data directory (each CLI call, each gateway)
 * learns into and alerts from the same baseline. The file carries an HMAC-SHA256 over the canonical JSON
 * of the state, under a key derived (HKDF) from the audit signing key, like the audit records' MACs: a
 * file edited by anyone without that key is refused, never trusted (docs/anomaly-alerts.md, "Baseline").
 */
import { hkdfSync } from "node:crypto";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { canonical } from "../audit/canonical.js";
import { writeFileAtomicSync } from "../audit/file-io.js";
import { withLock } from "../audit/lock.js";
import { ensureSigningKey } from "../audit/signing-key.js";
import { hmacSha256, hmacSha256Verify } from "../crypto/primitives.js";
import { type BaselineState, fromJson, toJson } from "./baseline.js";

export const BASELINE_FILE = "anomaly-baseline.json";
export const REJECTED_FILE = "anomaly-baseline.rejected.json";

export type LoadedBaseline =
  | { readonly status: "ok"; readonly state: BaselineState }
  | { readonly status: "missing" }
  /** Not JSON, wrong shape, or a MAC that does not match: edited, truncated, or written without the key. */
  | { readonly status: "rejected"; readonly reason: string };

export interface BaselineKeys {
  readonly mac: Buffer;
  /** For the keyed hashes of names and prefixes. */
  readonly names: Buffer;
}

export function baselineKeys(dataDir: string): BaselineKeys {
  const der = ensureSigningKey(dataDir).privateKey.export({ format: "der", type: "pkcs8" });
  const derive = (info: string) => Buffer.from(hkdfSync("sha256", der, Buffer.alloc(0), info, 32));
  return { mac: derive("polyvault-anomaly-baseline-mac/v1"), names: derive("polyvault-anomaly-name-hash/v1") };
}

export class BaselineFile {
  readonly path: string;
  readonly #lock: string;

  constructor(
    dataDir: string,
    readonly keys: BaselineKeys,
  ) {
    this.path = join(dataDir, BASELINE_FILE);
    this.#lock = join(dataDir, "anomaly-baseline.lock");
  }

  read(): LoadedBaseline {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { status: "missing" };
      return { status: "rejected", reason: `cannot be read (${(err as NodeJS.ErrnoException).code})` };
    }
    let doc: { v?: unknown; mac?: unknown; state?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      return { status: "rejected", reason: "is not JSON" };
    }
    const state = doc?.state as Parameters<typeof fromJson>[0] | undefined;
    if (doc?.v !== 1 || typeof doc.mac !== "string" || typeof state !== "object" || state === null)
      return { status: "rejected", reason: "does not have the baseline's shape" };
    const mac = Buffer.from(doc.mac, "base64url");
    if (!hmacSha256Verify(this.keys.mac, Buffer.from(canonical(state), "utf8"), mac))
      return { status: "rejected", reason: "fails its MAC (edited, or written without the audit key)" };
    if (state.v !== 1 || typeof state.createdAt !== "number" || typeof state.principals !== "object" || state.principals === null)
      return { status: "rejected", reason: "does not have the baseline's shape" };
    try {
      return { status: "ok", state: fromJson(state) };
    } catch {
      return { status: "rejected", reason: "does not have the baseline's shape" };
    }
  }

  /** Copies a refused file to anomaly-baseline.rejected.json (best effort). */
  keepRejected(): void {
    try {
      copyFileSync(this.path, join(this.path, "..", REJECTED_FILE));
    } catch {
      // nothing to keep (unreadable or gone): the audit record still says why it was refused
    }
  }

  write(state: BaselineState): void {
    const json = toJson(state);
    const mac = hmacSha256(this.keys.mac, Buffer.from(canonical(json), "utf8")).toString("base64url");
    writeFileAtomicSync(this.path, `${JSON.stringify({ v: 1, mac, state: json })}\n`);
  }

  /** Under the lock: reads what is on disk, lets `fn` decide the state to write, writes it. */
  update(fn: (onDisk: LoadedBaseline) => BaselineState): Promise<void> {
    return withLock(this.path, this.#lock, () => this.write(fn(this.read())));
  }
}
