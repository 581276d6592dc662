/**
 * `polyvault run --tenant T [--only GLOB]… [--watch] -- CMD ARGS…` (as `op run`, `doppler run`, chamber
 * `exec`): starts CMD with the tenant's secrets added to its environment. No shell; the values go only
 * into the child's environment (never argv, logs or errors); SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1
 * and SIGUSR2 are forwarded; CMD's exit code is ours (128 + n when a signal n ended it). With --watch,
 * the tenant's selected secrets are polled and CMD is restarted (SIGTERM, then SIGKILL after a grace
 * period) when one of them changes. Each value read is audited as a read by the caller.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { InvalidInputError } from "@polyvault/core";
import type { Command } from "commander";
import picomatch from "picomatch";
import type { Context } from "../context.js";
import { envVarNames } from "../env-vars.js";
import type { Runner } from "../main.js";
import { EXIT } from "../exit-codes.js";

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;
const RESTART_GRACE_MS = 10_000;

interface RunOptions {
  tenant: string;
  only?: string[];
  watch?: boolean;
  interval: string;
}

/** The selected secrets as variable name → value, and a fingerprint of their versions. */
async function load(ctx: Context, opts: RunOptions): Promise<{ env: Record<string, string>; fingerprint: string; count: number }> {
  const manager = (await ctx.runtime()).manager(opts.tenant);
  const selected = opts.only?.length ? picomatch(opts.only, { dot: true }) : () => true;
  const listed = (await manager.list()).filter((s) => selected(s.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const vars = envVarNames(listed.map((s) => s.name));
  const env: Record<string, string> = Object.create(null);
  for (const [variable, name] of vars) {
    const value = await manager.get(name);
    try {
      const bytes = value.bytes();
      if (bytes.includes(0)) throw new InvalidInputError(`secret ${JSON.stringify(name)} holds a NUL byte, which an environment variable cannot carry`);
      env[variable] = value.text();
    } finally {
      value.wipe();
    }
  }
  return { env, fingerprint: listed.map((s) => `${s.name}@${s.version}`).join("\n"), count: listed.length };
}

function start(cmd: string, args: string[], env: Record<string, string>, io: Context["io"]): ChildProcess {
  // The values are added to this process's environment for the child only; nothing goes through a shell.
  return spawn(cmd, args, { stdio: "inherit", shell: false, env: { ...io.env, ...env } });
}

/** Resolves with the child's exit code (128 + signal number when a signal ended it). */
function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}

export function registerRun(program: Command, run: Runner): void {
  program
    .command("run")
    .description("run a command with the tenant's secrets in its environment (no shell; signals forwarded; its exit code returned)")
    .requiredOption("--tenant <tenant>", "tenant id")
    .option("--only <glob>", "only secrets whose names match (repeatable; picomatch globs as in access rules)", (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option("--watch", "restart the command when one of its secrets changes")
    .option("--interval <seconds>", "how often --watch looks for changes", "10")
    .argument("<command>", "the program to run (after --)")
    .argument("[args...]", "its arguments")
    .usage("--tenant T [--only GLOB]... [--watch] -- COMMAND [ARGS...]")
    .action(
      run(async (ctx, cmd: string, args: string[], opts: RunOptions) => {
        const interval = Number(opts.interval);
        if (!Number.isFinite(interval) || interval < 1 || interval > 86_400)
          throw new InvalidInputError(`--interval must be 1 to 86400 seconds, got ${opts.interval}`);
        let loaded = await load(ctx, opts);
        let child = start(cmd, args, loaded.env, ctx.io);
        let done = exited(child);
        let restarting = false;
        const forward = (signal: NodeJS.Signals) => () => {
          child.kill(signal);
        };
        const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
        for (const [s, h] of handlers) process.on(s, h);
        let timer: NodeJS.Timeout | undefined;
        let polling = false;
        try {
          if (opts.watch) {
            timer = setInterval(async () => {
              if (polling || restarting) return;
              polling = true;
              try {
                const next = await load(ctx, opts);
                if (next.fingerprint === loaded.fingerprint) return;
                restarting = true;
                ctx.io.stderr.write(`polyvault: run: a secret of tenant ${opts.tenant} changed; restarting ${cmd}\n`);
                const old = child;
                const kill = setTimeout(() => old.kill("SIGKILL"), RESTART_GRACE_MS);
                old.kill("SIGTERM");
                await done.catch(() => undefined);
                clearTimeout(kill);
                loaded = next;
                child = start(cmd, args, loaded.env, ctx.io);
                done = exited(child);
                restarting = false;
              } catch (err) {
                ctx.io.stderr.write(`polyvault: run: could not check for changes (${(err as Error).message}); will try again\n`);
              } finally {
                polling = false;
              }
            }, interval * 1000);
          }
          // Wait for the child to end on its own (a restart replaces `done` while we wait).
          for (;;) {
            const current = done;
            let code: number;
            try {
              code = await current;
            } catch (err) {
              const e = err as NodeJS.ErrnoException;
              if (e.code === "ENOENT") {
                ctx.io.stderr.write(`polyvault: run: command not found: ${cmd}\n`);
                return EXIT.COMMAND_NOT_FOUND;
              }
              throw new InvalidInputError(`could not start ${cmd}: ${e.code ?? e.message}`);
            }
            if (current === done && !restarting) return code;
            while (restarting) await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          if (timer) clearInterval(timer);
          for (const [s, h] of handlers) process.off(s, h);
        }
      }),
    );
}
