/**
 * Witnesses: copies of the newest signed checkpoint kept where the attacker of the data directory cannot
 * write (C2SP tlog-witness, Rekor's signed tree heads). The log alone cannot prove its own length: cut
 * back to an earlier checkpoint (with that checkpoint copied into audit.head), or erased, it still looks
 * whole. A witness remembers the furthest point the chain reached and the key that signed it, accepts only
 * checkpoints that go forward under the same key, and `audit verify` and every writer compare against it.
 *
 * A witness is anything implementing AuditWitness (the sync state store, a provider, …); FileWitness keeps
 * it in one file outside the data directory (`audit.witness.file`).
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { IntegrityError } from "../errors.js";
import { canonical, verifyStatement } from "./canonical.js";
import { readJsonFileSync, writeFileAtomic, writeFileAtomicSync } from "./file-io.js";
import { type HeadEntry, isHeadEntry } from "./head.js";

/** What a witness holds: the newest checkpoint (or anchor) it accepted and the public key that signed it. */
export interface WitnessState {
  /** The audit public key, SPKI DER in base64. */
  readonly publicKey: string;
  readonly checkpoint: HeadEntry;
}

export interface AuditWitness {
  /** Names the witness in messages ("witness file /var/lib/pv-witness.json"). */
  readonly description: string;
  read(): Promise<WitnessState | undefined>;
  /**
   * Accepts `next` if it is signed by the key it holds and vouches for at least as many entries; else
   * IntegrityError. `reset` (only from `audit new-chain`) accepts a new key and a shorter chain.
   */
  update(next: WitnessState, reset: boolean): Promise<void>;
}

/** A witness readable synchronously (what verifyAuditLog takes). */
export interface SyncWitnessView {
  readonly description: string;
  readSync(): WitnessState | undefined;
}

export function publicKeyId(key: KeyObject): string {
  return key.export({ type: "spki", format: "der" }).toString("base64");
}

/** Checks a state a witness is asked to store (or returned): a well-formed checkpoint signed by its key. */
export function checkWitnessState(state: unknown, where: string): WitnessState {
  const s = state as Partial<WitnessState> | null;
  if (typeof s !== "object" || s === null || typeof s.publicKey !== "string" || !isHeadEntry(s.checkpoint))
    throw new IntegrityError(`${where} does not hold a valid audit checkpoint`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(s.publicKey, "base64"), format: "der", type: "spki" });
  } catch {
    throw new IntegrityError(`${where} does not hold a valid audit public key`);
  }
  if (!verifyStatement(key, s.checkpoint)) throw new IntegrityError(`${where} holds a checkpoint whose signature does not match its key`);
  return { publicKey: s.publicKey, checkpoint: s.checkpoint };
}

/** The rule every witness applies before it stores `next` over `current`. */
export function acceptable(current: WitnessState | undefined, next: WitnessState, reset: boolean, where: string): void {
  checkWitnessState(next, "the checkpoint offered to the witness");
  if (!current || reset) return;
  if (current.publicKey !== next.publicKey)
    throw new IntegrityError(`${where} knows another audit signing key: the key was replaced (start a new chain with \`polyvault audit new-chain\`)`);
  if (next.checkpoint.count < current.checkpoint.count)
    throw new IntegrityError(
      `${where} holds a checkpoint of ${current.checkpoint.count} entries; refusing one of ${next.checkpoint.count}: the log was rolled back`,
    );
}

/** A witness kept in one JSON file, which must lie outside the data directory. */
export class FileWitness implements AuditWitness, SyncWitnessView {
  readonly description: string;
  constructor(readonly path: string) {
    this.description = `witness file ${path}`;
  }

  readSync(): WitnessState | undefined {
    const file = readJsonFileSync(this.path);
    return file && checkWitnessState(file.value, this.description);
  }

  /** The file's new text, or undefined when it already holds `next`; IntegrityError when it must refuse it. */
  #next(next: WitnessState, reset: boolean): string | undefined {
    const current = this.readSync();
    acceptable(current, next, reset, this.description);
    if (current && !reset && current.checkpoint.count === next.checkpoint.count && current.checkpoint.head === next.checkpoint.head) return undefined;
    const body = { format: "polyvault-audit-witness/v1", ...next, ...(reset && current ? { replaced: current } : {}) };
    return `${canonical(body)}\n`;
  }

  updateSync(next: WitnessState, reset: boolean): void {
    const text = this.#next(next, reset);
    if (text !== undefined) writeFileAtomicSync(this.path, text);
  }

  async read(): Promise<WitnessState | undefined> {
    return this.readSync();
  }

  async update(next: WitnessState, reset: boolean): Promise<void> {
    const text = this.#next(next, reset);
    if (text !== undefined) await writeFileAtomic(this.path, text);
  }
}
