import type { Command } from "commander";
import { INPUT_LIMITS, InvalidInputError, isPolyvaultError, readFileBoundedSync } from "@polyvault/core";
import { DEFAULT_PORT, serve } from "@polyvault/server";
import type { Runner } from "../main.js";
import { EXIT, EXIT_CODES } from "../exit-codes.js";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function wholeNumber(flag: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > max) throw new InvalidInputError(`${flag} must be a whole number from 0 to ${max} (got ${JSON.stringify(raw)})`);
  return n;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileBoundedSync(file, INPUT_LIMITS.pem, `${flag} ${file}`);
  } catch (err) {
    if (isPolyvaultError(err)) throw err;
    throw new InvalidInputError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

export function registerServe(program: Command, run: Runner): void {
  program
    .command("serve")
    .description("HTTP gateway: REST API with bearer tokens, /health, /health/secrets, /metrics, /openapi.json, a status page, and the sync scheduler")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", `port to listen on (0: any free port)`, String(DEFAULT_PORT))
    .option("--vault-port <port>", "also answer Vault KV v2 reads (vault kv get/list/metadata get, node-vault…) on this port, same host; a tenant is the mount")
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS (with --tls-key)")
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option("--no-scheduler", "do not run scheduled routes or jobs in this process (push-on-write still runs)")
    .option("--rate-limit <n>", "requests per minute per token (no token or an unknown one: per client address); 0 turns the limit off", "6000")
    .option("--log-level <level>", `log level: ${LEVELS.join(", ")}`, "info")
    .option("--insecure-no-auth", "allow a non-loopback --host without access control (anyone who can reach it is admin)")
    .option("--insecure-no-tls", "allow a non-loopback --host without --tls-cert (only behind a proxy that terminates TLS)")
    .option(
      "--allowed-host <name>",
      "a host name clients use to reach the gateway (besides IP addresses and localhost); repeat for several, '*' for any (DNS-rebinding guard)",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .action(
      run(
        async (
          ctx,
          opts: {
            host: string;
            port: string;
            vaultPort?: string;
            tlsCert?: string;
            tlsKey?: string;
            scheduler: boolean;
            rateLimit: string;
            logLevel: string;
            insecureNoAuth?: boolean;
            insecureNoTls?: boolean;
            allowedHost: string[];
          },
        ) => {
          const port = wholeNumber("--port", opts.port, 65535);
          const vaultPort = opts.vaultPort === undefined ? undefined : wholeNumber("--vault-port", opts.vaultPort, 65535);
          if (vaultPort !== undefined && vaultPort !== 0 && vaultPort === port) throw new InvalidInputError("--vault-port must differ from --port");
          const rateLimitPerMinute = wholeNumber("--rate-limit", opts.rateLimit, 1_000_000_000);
          if (!LEVELS.includes(opts.logLevel))
            throw new InvalidInputError(`--log-level must be one of ${LEVELS.join(", ")} (got ${JSON.stringify(opts.logLevel)})`);
          if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new InvalidInputError("give both --tls-cert and --tls-key, or neither");
          const tls = opts.tlsCert && opts.tlsKey ? { cert: readPem("--tls-cert", opts.tlsCert), key: readPem("--tls-key", opts.tlsKey) } : undefined;

          const rt = await ctx.runtime();
          // Logs go to stderr (one JSON line each); stdout carries only the listening address.
          const gateway = await serve(rt, {
            host: opts.host,
            port,
            vaultPort,
            tls,
            scheduler: opts.scheduler,
            rateLimitPerMinute,
            allowNoAuth: opts.insecureNoAuth,
            allowNoTls: opts.insecureNoTls,
            allowedHosts: opts.allowedHost,
            logger: { level: opts.logLevel, stream: process.stderr },
          });
          ctx.out.result(
            {
              listening: gateway.url,
              ...(gateway.vault ? { vaultListening: gateway.vault.url } : {}),
              scheduler: opts.scheduler,
              tls: Boolean(tls),
              ...(gateway.tokenFile ? { tokenFile: gateway.tokenFile } : {}),
            },
            () => [
              `polyvault: gateway listening on ${gateway.url}`,
              ...(gateway.vault ? [`polyvault: vault-compatible reads listening on ${gateway.vault.url} (VAULT_ADDR; a tenant is the mount)`] : []),
              ...(gateway.tokenFile
                ? [`polyvault: no \`access\` configured: send 'Authorization: Bearer <token>' with the token in ${gateway.tokenFile}`]
                : []),
            ],
          );
          // SIGTERM (or Ctrl-C): stop accepting, drain in-flight requests, seal the audit log, exit 0.
          const signal = await new Promise<string>((resolve) => {
            process.once("SIGTERM", () => resolve("SIGTERM"));
            process.once("SIGINT", () => resolve("SIGINT"));
          });
          gateway.app.log.info({ signal }, "shutting down: draining requests, sealing the audit log");
          // A drain that hangs (a provider call that never ends) must not keep the process: a second
          // signal, or 30 s, ends it (the audit log's exit hook still seals what was written).
          const force = (why: string) => {
            gateway.app.log.error({ why }, "shutdown did not finish; exiting now");
            process.exit(EXIT_CODES.INTERNAL);
          };
          process.once("SIGTERM", () => force("second SIGTERM"));
          process.once("SIGINT", () => force("second SIGINT"));
          setTimeout(() => force("30 s drain deadline"), 30_000).unref();
          await gateway.close();
          return EXIT.OK;
        },
      ),
    );
}
