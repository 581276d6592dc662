/**
 * What every append shares: the writer's context, the chain's end read from the file (chain-end.ts) and
 * the refusal a failed write becomes; and the exit hook's synchronous seal (a checkpoint over what this
 * process left unsigned), which runs where nothing asynchronous can. The batch writer (batch-writer.ts) is
 * the asynchronous path every append takes.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { UnavailableError, isPolyvaultError } from "../errors.js";
import { type ChainState, type ComposeOptions, compose } from "./compose.js";
import { chainEnd } from "./chain-end.js";
import { readTail } from "./file-io.js";
import { readHead, writeHead } from "./head.js";
import type { AuditCheckpoint } from "./types.js";
import type { ChainFiles } from "./verify.js";
import type { AuditWitness, FileWitness } from "./witness.js";

export type { ChainState } from "./compose.js";

export interface WriterContext extends ComposeOptions {
  readonly dataDir: string;
  readonly logPath: string;
  readonly headPath: string;
  /** Set for a segment (segments.ts): its start is no sign of an earlier main chain. */
  readonly segment: string | undefined;
  /** The chain's files as verify names them (the main chain's, or a segment's: segments.ts). */
  readonly files: ChainFiles;
  /** Why an empty log here would be an erased one (evidence.ts for the main chain; nothing for a segment, which the main chain vouches for). */
  readonly evidence: () => string | undefined;
  /** After a checkpoint is durable and in audit.head (a segment states it in the main chain). */
  readonly onCheckpoint: ((checkpoint: AuditCheckpoint) => void) | undefined;
  readonly fsyncAlways: boolean;
  readonly now: () => Date;
  readonly witnesses: readonly AuditWitness[];
  /** Set by `audit new-chain`: an empty log may start over, its first record saying who and why. */
  readonly newChain: { readonly actor: string; readonly reason: string } | undefined;
  /** Told when audit.head or a witness cannot take a checkpoint (the batch itself is durable and stands). */
  readonly onSideError: (err: unknown, where: string) => void;
}

export function refusal(ctx: WriterContext, err: unknown): UnavailableError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new UnavailableError(`audit log ${ctx.logPath} cannot be written (${code}); the operation is refused`, { cause: err });
}

/** The exit hook's seal: a checkpoint over the unsigned tail, synchronously (file witnesses updated too). */
export function sealSync(ctx: WriterContext, cached: ChainState | undefined): ChainState {
  let fd: number;
  try {
    fd = openSync(ctx.logPath, "a+", 0o600);
  } catch (err) {
    throw refusal(ctx, err);
  }
  let start = -1;
  try {
    const st = fstatSync(fd);
    const s =
      cached && cached.ino === st.ino && cached.size === st.size
        ? cached
        : chainEnd({
            logPath: ctx.logPath,
            tail: readTail(fd),
            head: readHead(ctx.headPath),
            witnessed: undefined, // checked when this process loaded the chain; the seal only adds a checkpoint
            publicKeyId: () => "",
            evidence: ctx.evidence,
            newChainAllowed: false,
            now: ctx.now().getTime(),
          });
    const c = compose(ctx, s, [], true, ctx.now());
    if (c.data.length === 0) return s;
    start = st.size;
    for (let off = 0; off < c.data.length; ) off += writeSync(fd, c.data, off);
    fsyncSync(fd);
    if (c.checkpoint) {
      writeHead(ctx.headPath, c.checkpoint);
      const publicKey = ctx.keys().publicKey.export({ type: "spki", format: "der" }).toString("base64");
      for (const w of ctx.witnesses) {
        const sync = (w as Partial<FileWitness>).updateSync;
        try {
          sync?.call(w, { publicKey, checkpoint: c.checkpoint }, false);
        } catch (err) {
          ctx.onSideError(err, w.description); // the seal is durable; a lagging witness only weakens rollback detection
        }
      }
    }
    return { ino: st.ino, size: st.size + c.data.length, ...c.end };
  } catch (err) {
    if (start >= 0) {
      try {
        ftruncateSync(fd, start);
      } catch {
        // nothing more can be done; the next writer refuses the torn line
      }
    }
    throw isPolyvaultError(err) ? err : refusal(ctx, err);
  } finally {
    closeSync(fd);
  }
}
