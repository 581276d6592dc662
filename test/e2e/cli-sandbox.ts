// A working directory with its own polyvault.yaml and data directory, in which the built CLI runs as a
// user would run it (`node packages/cli/bin/polyvault.js`, as packages/cli/test/helpers.ts does), but
// spawned asynchronously: the test process keeps serving the loopback servers the CLI talks to, and a
// CLI that hangs is killed and reported instead of hanging the suite.
//
// Every canary value a test plants is registered here, and every run checks that no canary appears in
// its stdout or stderr (clear, base64, base64url or hex), except the one value a `get` asked for.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "vitest";

export const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/polyvault.js");

/** For tests that run many CLI processes: each takes 0.5–2 s to start on a busy 2-core machine. */
export const SLOW = { timeout: 180_000 };

export interface RunResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly out: string;
  /** Wall time of the whole process, start-up included. */
  readonly ms: number;
  /** performance.now() in this process when the CLI was spawned and when it ended. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface RunOptions {
  readonly input?: Buffer | string;
  /** The canary this run may print (the value a `get` asked for). */
  readonly allow?: Buffer;
  /** Kill the CLI after this long: a CLI still running then is a hang, reported as exit -1. */
  readonly killAfterMs?: number;
}

/** The forms in which a value could leak into text. */
export const leakForms = (v: Buffer): Buffer[] => [v, Buffer.from(v.toString("base64")), Buffer.from(v.toString("base64url")), Buffer.from(v.toString("hex"))];

export class CliSandbox {
  readonly cwd = mkdtempSync(join(tmpdir(), "pv-e2e-"));
  readonly home = join(this.cwd, "data");
  readonly #canaries: Buffer[] = [];

  constructor(readonly env: NodeJS.ProcessEnv = {}) {}

  /** polyvault.yaml in the working directory: found by the CLI without --config, as docs/cli.md says. */
  writeConfig(yaml: string): void {
    writeFileSync(join(this.cwd, "polyvault.yaml"), yaml);
  }

  /** A fresh, registered canary: `CANARY-<hex>` plus optional extra bytes. */
  canary(extra: Buffer = Buffer.alloc(0)): Buffer {
    const v = Buffer.concat([Buffer.from(`CANARY-${randomBytes(12).toString("hex")}`), extra]);
    this.#canaries.push(v);
    return v;
  }

  async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      POLYVAULT_HOME: this.home,
      // The AWS SDK prints a Node-version notice on stderr at load; it is not Polyvault's output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...this.env,
    };
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.stdin.on("error", () => undefined); // a CLI that exits before reading stdin
    child.stdin.end(options.input ?? "");
    const killer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 60_000);
    const code = await new Promise<number>((done) => child.on("close", (c) => done(c ?? -1)));
    const endedAt = performance.now();
    clearTimeout(killer);
    const stdout = Buffer.concat(out);
    const r: RunResult = {
      code,
      stdout,
      stderr: Buffer.concat(err).toString("utf8"),
      out: stdout.toString("utf8"),
      ms: endedAt - started,
      startedAt: started,
      endedAt,
    };
    this.#checkNoLeak(args, r, options.allow);
    return r;
  }

  #checkNoLeak(args: string[], r: RunResult, allow: Buffer | undefined): void {
    const stderr = Buffer.from(r.stderr);
    for (const c of this.#canaries) {
      if (allow?.equals(c)) continue;
      for (const form of leakForms(c)) {
        expect(r.stdout.includes(form), `a canary leaked into stdout of: polyvault ${args.join(" ")}`).toBe(false);
        expect(stderr.includes(form), `a canary leaked into stderr of: polyvault ${args.join(" ")}`).toBe(false);
      }
    }
  }

  /** Files under the data directory that hold any registered canary in any leak form. */
  filesWithCanaries(): string[] {
    const hits: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          const data = readFileSync(p);
          if (this.#canaries.some((c) => leakForms(c).some((f) => data.includes(f)))) hits.push(p);
        }
      }
    };
    walk(this.home);
    return hits;
  }
}

/** A polyvault error line as docs/cli.md defines it: exactly one line on stderr. */
export function expectErrorLine(r: RunResult, code: number, errorCode: string, message?: RegExp): void {
  expect(r.code, `exit code (stderr: ${r.stderr.trim()})`).toBe(code);
  expect(r.stderr).toMatch(new RegExp(`^polyvault: ${errorCode}: [^\\n]+\\n$`));
  if (message) expect(r.stderr).toMatch(message);
  expect(r.out).toBe("");
}

/** Byte-for-byte equality that names the first differing offset instead of printing either value. */
export function expectSameBytes(actual: Buffer, expected: Buffer): void {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const same = actual.length === expected.length && at === expected.length;
  expect(same, `got ${actual.length} bytes, expected ${expected.length}; first difference at byte ${at}`).toBe(true);
}
