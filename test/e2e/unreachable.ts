// A provider endpoint that refuses connections, and one that accepts and never answers: every command
// ends with exit 5 (UNAVAILABLE) within the configured timeoutMs, or the default (10 s), never a hang.
// These need no provider server, so they run for every provider, Azure included.
//
// Timing is measured where the provider's deadline applies, not from process start (CLI start-up on a
// loaded machine can take seconds): each command gets its own silent server, and the clock runs from
// the moment that server accepted the CLI's first connection to the moment the CLI closed its last one
// (gave up). The process must then end, within its own bound (LINGER_MS). A refused connection leaves
// no such mark, so its limit adds the start-up the same commands showed against the silent servers and
// the same ending bound (LINGER_MS): an audit fsync stalled by other suites must not fail it. The
// refused deadline itself is timed in-process, with no start-up or exit in the clock, by the provider
// conformance suite (provider-testkit, sections/unreachable.ts).
import { afterAll, beforeAll, expect, it } from "vitest";
import { CliSandbox, type CliResult, expectErrorLine } from "../harness/cli.js";
import { type SilentServer, refusedPort, silentServer } from "./dead-endpoints.js";
import { awsYaml, azureYaml, cliEnv, vaultYaml } from "./endpoints.js";
import type { ProviderType } from "./targets.js";

const TIMEOUT_MS = 2000;
const DEFAULT_TIMEOUT_MS = 10_000; // the providers' default timeoutMs (docs/providers/*.md)
/**
 * Error mapping, printing and process exit after the deadline, on a machine that runs other test files
 * at the same time (2 cores: seen taking over a second at load 14). Still far below the 10 s default, so
 * a provider that ignored timeoutMs would fail here.
 */
const SLACK_MS = 3000;
/**
 * After giving up, the CLI maps the error, appends its audit record (fsync) and exits. On a CI machine
 * busy with other suites' fsyncs that once took over five seconds, so the ending has its own bound: below
 * the providers' default timeout, so that a process kept alive by a provider's default-length timer fails.
 */
const LINGER_MS = DEFAULT_TIMEOUT_MS;
const TYPES: ProviderType[] = ["aws", "vault", "azure"];
const COMMANDS = { get: ["get", "db/url"], set: ["set", "db/url", "--value-stdin"], list: ["list"] } as const;
type Command = keyof typeof COMMANDS;

function providerYaml(type: ProviderType, port: number, timeoutMs: number | undefined): string {
  const host = `127.0.0.1:${port}`;
  const extra = timeoutMs === undefined ? "" : `, timeoutMs: ${timeoutMs}`;
  if (type === "aws") return awsYaml(`http://${host}`, extra, { accessKeyId: "test", secretAccessKey: "test" });
  if (type === "vault") return vaultYaml(`http://${host}`, extra);
  return azureYaml(`https://${host}`, extra, true);
}

export function unreachableTests(): void {
  const sb = new CliSandbox({ prefix: "e2e", env: cliEnv() });
  const silent = new Map<string, SilentServer>(); // by tenant

  beforeAll(async () => {
    const refused = await refusedPort();
    const providers = ["providers:"];
    const add = (tenant: string, type: ProviderType, port: number, timeoutMs: number | undefined) =>
      providers.push(`  ${tenant}: ${providerYaml(type, port, timeoutMs)}`);
    for (const type of TYPES) {
      add(`${type}-refused`, type, refused, TIMEOUT_MS);
      for (const tenant of [...Object.keys(COMMANDS).map((c) => `${type}-silent-${c}`), `${type}-default`, `${type}-names`]) {
        const server = await silentServer();
        silent.set(tenant, server);
        add(tenant, type, server.port, tenant.endsWith("-default") ? undefined : TIMEOUT_MS);
      }
    }
    // Each tenant's primary is the provider of the same name.
    const tenants = ["tenants:", ...providers.slice(1).map((l) => l.replace(/^ {2}([a-z-]+): .*$/, "  $1: { primary: $1 }"))];
    sb.writeConfig(`${[...providers, ...tenants].join("\n")}\n`);
    expect((await sb.run(["init"])).code).toBe(0);
  });
  afterAll(async () => {
    for (const s of silent.values()) await s.close();
  });

  const run = (tenant: string, command: Command) => sb.run(["secrets", ...COMMANDS[command], "--tenant", tenant], { input: sb.canary(), hangAfterMs: 40_000 });

  /**
   * Exit 5, and the client gave up (closed its last connection) within `limitMs` of the silent server's
   * first accepted connection. Returns the start-up part (spawn to first connection) and how long the
   * process took to end after giving up.
   */
  const expectTimedOut = async (r: CliResult, server: SilentServer | undefined, limitMs: number): Promise<{ startup: number; lingered: number }> => {
    expectErrorLine(r, 5, "UNAVAILABLE");
    const firstAccept = server?.firstAcceptAt();
    expect(firstAccept, "the CLI never connected to the silent server").toBeDefined();
    // A connection the CLI left open is closed by its exit; that close can reach this process just after.
    await expect.poll(() => server?.gaveUpAt(), { timeout: 5000, interval: 20 }).toBeDefined();
    const gaveUp = server?.gaveUpAt() ?? Number.POSITIVE_INFINITY;
    const waited = gaveUp - (firstAccept ?? 0);
    expect(waited, `gave up ${Math.round(waited)} ms after connecting; limit ${limitMs} ms`).toBeLessThan(limitMs);
    const lingered = r.endedAt - gaveUp;
    expect(lingered, `exited ${Math.round(lingered)} ms after giving up; limit ${LINGER_MS} ms`).toBeLessThan(LINGER_MS);
    return { startup: (firstAccept ?? 0) - r.startedAt, lingered: Math.max(0, lingered) };
  };

  for (const type of TYPES) {
    it(`${type}: a silent server, then a refused connection, each give exit 5 within timeoutMs (${TIMEOUT_MS} ms)`, { timeout: 90_000 }, async () => {
      const commands = Object.keys(COMMANDS) as Command[];
      const silentRuns = await Promise.all(commands.map((c) => run(`${type}-silent-${c}`, c)));
      const seen = [];
      for (const [i, r] of silentRuns.entries()) seen.push(await expectTimedOut(r, silent.get(`${type}-silent-${commands[i]}`), TIMEOUT_MS + SLACK_MS));
      // A refused connection leaves no mark to time from: its limit adds the start-up that the same
      // commands showed against the silent servers just before, and the ending's own bound.
      const limit = TIMEOUT_MS + Math.max(...seen.map((s) => s.startup)) + LINGER_MS + SLACK_MS;
      const refusedRuns = await Promise.all(commands.map((c) => run(`${type}-refused`, c)));
      for (const r of refusedRuns) {
        expectErrorLine(r, 5, "UNAVAILABLE");
        expect(r.ms, `took ${Math.round(r.ms)} ms; limit ${Math.round(limit)} ms`).toBeLessThan(limit);
      }
    });
  }

  it(`with no timeoutMs configured, a silent server gives exit 5 within the default ${DEFAULT_TIMEOUT_MS} ms`, { timeout: 90_000 }, async () => {
    const runs = await Promise.all(TYPES.map((type) => run(`${type}-default`, "get")));
    for (const [i, r] of runs.entries()) await expectTimedOut(r, silent.get(`${TYPES[i]}-default`), DEFAULT_TIMEOUT_MS + SLACK_MS);
  });

  it("azure: a name that cannot fit Key Vault is refused (exit 2) before any connection is made", async () => {
    const name = "A_".repeat(40); // 80 characters, each encoded as two: over Azure's 127 with prefix and tenant
    for (const args of [
      ["set", name, "--value-stdin"],
      ["get", name],
      ["delete", name, "--purge"],
    ]) {
      const r = await sb.run(["secrets", ...args, "--tenant", "azure-names"], { input: sb.canary(), hangAfterMs: 30_000 });
      expectErrorLine(r, 2, "INVALID_INPUT", /cannot hold secret name .* over Azure's 127-character limit/);
    }
    expect(silent.get("azure-names")?.accepted()).toBe(0);
  });

  it("leaves no value in the data directory when the provider is down", () => {
    expect(sb.filesWithCanaries()).toEqual([]);
  });
}
