/**
 * The `polyvault` command: commander parses, each command module registers its subcommands, and one
 * top-level catch maps every error to CONTRACT.md's exit codes.
 */
import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { EXIT_CODES, InvalidInputError } from "@polyvault/core";
import { COMMANDS } from "./commands/index.js";
import { Context, type GlobalOptions } from "./context.js";
import { type Io, Output } from "./output.js";

/** The CLI package's own version (dist/main.js → ../package.json). */
export const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

export type Action = (ctx: Context, ...args: never[]) => Promise<number | undefined>;

export async function main(argv: string[], ioOverride: Partial<Io> = {}): Promise<number> {
  const io: Io = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
    ...ioOverride,
  };
  const wantsJson = argv.includes("--json");
  // `polyvault --version` (or -V) as the first argument: not a commander option, because `secrets get
  // --version N` is a subcommand's own option and a program-level --version would take it.
  const first = argv[2];
  if (first === "--version" || first === "-V") {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let ctx: Context | undefined;
  let exitCode = 0;

  const program = new Command("polyvault")
    .description("Multi-tenant encrypted secrets gateway: one store, mirrored to AWS, Azure and Vault")
    .option("--json", "machine-readable output on stdout")
    .option("--config <file>", "configuration file (default: $POLYVAULT_CONFIG, else ./polyvault.yaml, else the embedded default)")
    .option("--data-dir <dir>", "data directory (default: $POLYVAULT_HOME, else ./.polyvault)")
    .addHelpText("after", "\n`polyvault --version` (or -V) prints the version.")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // --help and --version: stdout. The help shown when a subcommand is missing: stderr (exit 2).
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Usage errors are reported once, by the top-level catch below.
      outputError: () => undefined,
    });

  /** Wraps a command body: builds the context from the merged global options, records the exit code. */
  const run =
    <A extends unknown[]>(body: (ctx: Context, ...args: A) => Promise<number | undefined>) =>
    async (...args: A): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      ctx = new Context(io, new Output(io, Boolean(globals.json)), globals);
      exitCode = (await body(ctx, ...args)) ?? 0;
    };

  for (const register of COMMANDS) register(program, run);

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    const out = ctx?.out ?? new Output(io, wantsJson);
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed") return 0;
      // `polyvault` or `polyvault secrets` alone: commander printed that command's help on stderr.
      if (err.code === "commander.help") return EXIT_CODES.INVALID_INPUT;
      return out.error(new InvalidInputError(err.message.replace(/^error: /, "")));
    }
    return out.error(err);
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}

export type Runner = <A extends unknown[]>(body: (ctx: Context, ...args: A) => Promise<number | undefined>) => (...args: A) => Promise<void>;
