/**
 * `polyvault serve` as a user starts it: a child process on a free loopback port, its address read from
 * stdout (`--json`: {"listening": url}), its log lines (stderr) kept for the canary sweep, and SIGTERM at
 * the end (the gateway drains, seals the audit log and exits 0).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { BIN, type Sandbox } from "./cli.js";

export interface Gateway {
  readonly url: string;
  /** Everything the gateway wrote to stdout and stderr so far. */
  output(): Buffer;
  request(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<{ status: number; text: string; json: unknown }>;
  /** Headers every request needs besides its own: the local token (no `access`) and the JSON content type (not GET). */
  baseHeaders(method: string): Record<string, string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
  /** Sends `signal` to the gateway's whole process group (SIGKILL: no drain, no exit hook; with workers, every worker too) and resolves once the primary is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startGateway(sb: Sandbox, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<Gateway> {
  const child: ChildProcess = spawn(process.execPath, [BIN, "serve", "--port", "0", "--json", "--no-scheduler", "--rate-limit", "0", ...args], {
    cwd: sb.cwd,
    env: { ...sb.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // A process group of its own: with `--workers N` a kill must reach the workers too, as a crash of
    // the machine or an OOM kill of the group would (SIGTERM still goes to the primary, which drains them).
    detached: true,
  });
  const chunks: Buffer[] = [];
  child.stderr?.on("data", (c: Buffer) => chunks.push(c));
  let tokenFile: string | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`polyvault serve did not start: ${Buffer.concat(chunks).toString()}`)), 30_000);
    child.stdout?.on("data", (c: Buffer) => {
      chunks.push(c);
      out += c.toString();
      // `--json` prints one document once listening; without `access` it names the local token's file.
      let answer: { listening?: string; tokenFile?: string } | undefined;
      try {
        answer = JSON.parse(out);
      } catch {
        return; // not whole yet
      }
      tokenFile = answer?.tokenFile;
      clearTimeout(timer);
      resolve(answer?.listening as string);
    });
    child.on("exit", (code) => reject(new Error(`polyvault serve exited ${code}: ${Buffer.concat(chunks).toString()}`)));
  });
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return {
    url,
    output: () => Buffer.concat(chunks),
    baseHeaders: (method) => ({
      ...(tokenFile ? { authorization: `Bearer ${readFileSync(tokenFile, "utf8").trim()}` } : {}),
      ...(method === "GET" ? {} : { "content-type": "application/json" }),
    }),
    async request(method, path, options = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(!options.token && tokenFile ? { authorization: `Bearer ${readFileSync(tokenFile, "utf8").trim()}` } : {}),
          ...(method === "GET" ? {} : { "content-type": "application/json" }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json };
    },
    async kill(signal) {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
