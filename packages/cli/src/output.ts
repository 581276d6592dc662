/**
 * Everything the CLI prints goes through here: JSON for scripts (--json), plain lines for people, and
 * errors as one line (`polyvault: <code>: <message>`) or `{"error":{"code","message"}}`.
 *
 * The --json rule (docs/cli.md): a command prints one compact JSON document on one line; a stream
 * (`sync run --watch`, `audit export`) prints NDJSON, one document per line (`record()`). The same
 * thing has the same field name in every command: a secret's revision number is `version` (as in
 * `secrets get`), so `revision`, `previousRevision`, … are written `version`, `previousVersion`, ….
 */
import { type ErrorCode, isPolyvaultError } from "@polyvault/core";
import { EXIT_CODES } from "./exit-codes.js";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}

export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** The command's answer: `data` as one line of JSON with --json, else `human()` lines. */
  result(data: unknown, human: () => string | string[]): void {
    if (this.json) {
      this.record(data);
      return;
    }
    const text = human();
    const lines = Array.isArray(text) ? text : [text];
    if (lines.length) this.io.stdout.write(`${lines.join("\n")}\n`);
  }

  /**
   * A command's answer whose bulk is one long list (`sync plan`'s actions): with --json, the same one
   * line `result({ [field]: items.map(row), ...rest })` would print, written a thousand items at a time
   * as stdout takes them, so the whole document is never one string in memory.
   */
  async resultList<T>(
    field: string,
    items: readonly T[],
    row: (item: T) => unknown,
    rest: Record<string, unknown>,
    human: () => string | string[],
  ): Promise<void> {
    if (!this.json) {
      this.result(undefined, human);
      return;
    }
    const keys = [field, ...Object.keys(rest)];
    const rename = renamerFor(keys);
    const key = (k: string) => JSON.stringify(rename(k));
    await this.#write(`{${key(field)}:[`);
    for (let i = 0; i < items.length; i += 1000)
      await this.#write(
        (i > 0 ? "," : "") +
          items
            .slice(i, i + 1000)
            .map((item) => jsonLine(row(item)))
            .join(","),
      );
    await this.#write(
      `]${Object.entries(rest)
        .map(([k, v]) => `,${key(k)}:${jsonLine(v)}`)
        .join("")}}\n`,
    );
  }

  /** Writes, waiting for stdout to drain when its buffer is full. */
  #write(text: string): Promise<void> {
    const stdout = this.io.stdout;
    if (stdout.write(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: unknown) => {
        stdout.off("drain", done);
        stdout.off("error", done);
        stdout.off("close", closed);
        if (err) reject(err);
        else resolve();
      };
      const closed = () => done(new Error("stdout was closed before the answer was written"));
      stdout.once("drain", done);
      stdout.once("error", done);
      stdout.once("close", closed);
    });
  }

  /** One JSON document on one line of stdout: a command's answer, or one item of a stream (NDJSON). */
  record(data: unknown): void {
    this.io.stdout.write(`${jsonLine(data)}\n`);
  }

  /** Progress and notes for people: stderr, never in --json's stdout. */
  note(message: string): void {
    if (!this.json) this.io.stderr.write(`${message}\n`);
  }

  error(err: unknown): number {
    const { code, message } = describeError(err);
    if (this.json) this.io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
    else this.io.stderr.write(`polyvault: ${code}: ${message}\n`);
    return EXIT_CODES[code];
  }
}

/** `revision` → `version`, `previousRevision` → `previousVersion`, …: one name for one thing. */
const renamed = (key: string): string => (key === "revision" ? "version" : key.endsWith("Revision") ? `${key.slice(0, -"Revision".length)}Version` : key);

/** The renames for an object with these keys: one that would overwrite a field of it is not made (nothing is ever dropped). */
const renamerFor =
  (keys: readonly string[]) =>
  (k: string): string =>
    renamed(k) !== k && !keys.includes(renamed(k)) ? renamed(k) : k;

/** Compact JSON with the field names of the --json rule. */
export function jsonLine(data: unknown): string {
  return JSON.stringify(data, function (this: unknown, _key: string, value: unknown) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) return value;
    const keys = Object.keys(value);
    const rename = renamerFor(keys);
    if (keys.every((k) => rename(k) === k)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), v]));
  });
}

export function describeError(err: unknown): { code: ErrorCode; message: string } {
  if (isPolyvaultError(err)) return { code: err.code, message: err.message };
  // Anything else is a bug or an unmapped failure: report its kind, never a stack with data in it.
  const e = err as Error;
  return { code: "INTERNAL", message: `unexpected ${e?.name ?? "error"}: ${e?.message ?? String(err)}` };
}

/** Writes and waits for the stream to take the bytes (so the caller may wipe them afterwards). */
export function writeAll(stream: NodeJS.WritableStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}

/** A fixed-width table for people. */
export function table(headers: string[], rows: Array<Array<string | number | undefined>>): string[] {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined ? "-" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
