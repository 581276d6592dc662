/**
 * The `polyvault` command: commander parses, each command module registers its subcommands, and one
 * top-level catch maps every error to the exit codes in docs/cli.md (EXIT_CODES in exit-codes.ts).
 */
import { Command, CommanderError } from "commander";
import { InvalidInputError } from "@polyvault/core";
import { COMMANDS } from "./commands/index.js";
import { Context, type GlobalOptions } from "./context.js";
import { type Io, Output } from "./output.js";
import { EXIT } from "./exit-codes.js";

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
  let ctx: Context | undefined;
  let exitCode: number = EXIT.OK;

  const program = new Command("polyvault")
    .description("Multi-tenant encrypted secrets gateway: one store, mirrored to AWS, Azure and Vault")
    .option("--json", "machine-readable output on stdout")
    .option("--config <file>", "configuration file (default: $POLYVAULT_CONFIG, else ./polyvault.yaml, else the embedded default)")
    .option("--data-dir <dir>", "data directory (default: $POLYVAULT_HOME, else ./.polyvault)")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      // Usage errors are reported once, by the top-level catch below.
      writeErr: () => undefined,
    });

  /** Wraps a command body: builds the context from the merged global options, records the exit code. */
  const run =
    <A extends unknown[]>(body: (ctx: Context, ...args: A) => Promise<number | undefined>) =>
    async (...args: A): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      ctx = new Context(io, new Output(io, Boolean(globals.json)), globals);
      exitCode = (await body(ctx, ...args)) ?? EXIT.OK;
    };

  for (const register of COMMANDS) register(program, run);

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    const out = ctx?.out ?? new Output(io, wantsJson);
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return EXIT.OK;
      return out.error(new InvalidInputError(err.message.replace(/^error: /, "")));
    }
    return out.error(err);
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}

export type Runner = <A extends unknown[]>(body: (ctx: Context, ...args: A) => Promise<number | undefined>) => (...args: A) => Promise<void>;
