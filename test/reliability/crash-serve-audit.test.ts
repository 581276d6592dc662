/**
 * Issue 12: `polyvault serve` killed with SIGKILL while 16 clients read as fast as they can. After every
 * kill: every value a client received (a 200 with its body) has its audit record (a `read` with outcome
 * `ok` and that response's X-Request-Id) in the log; `audit verify` passes, allowing the unsigned tail the
 * kill left (or names a torn tail, counted); the next `serve` continues the same chain. At the end the
 * log, sealed by a clean stop, verifies in full.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type VerifyResult, chainLogs, verifyAuditLog } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { run, sandbox } from "../harness/cli.js";
import { type Gateway, startGateway } from "./helpers/serve.js";
import { size } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("crash-serve-audit");
const TRIALS = size(15, 60);
const CLIENTS = 16;
const NAMES = Array.from({ length: 10 }, (_, i) => `R_${i}`);

/** Reads until the gateway goes away; the request ids of the values received. */
async function readUntilGone(gw: Gateway, received: Map<string, string>, firstOk: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    const name = NAMES[i % NAMES.length] as string;
    let res: Response;
    let body: string;
    try {
      res = await fetch(`${gw.url}/v1/tenants/crash/secrets/${name}`, { headers: gw.baseHeaders("GET"), signal: AbortSignal.timeout(30_000) });
      body = await res.text();
    } catch {
      return; // killed: connection refused or reset
    }
    if (res.status !== 200) continue;
    const id = res.headers.get("x-request-id");
    expect(id, "a 200 carries its X-Request-Id").toBeTruthy();
    expect(body).toContain(`value-of-${name}`);
    received.set(id as string, name);
    firstOk();
  }
}

/** The chains of the log: the main one and each worker's segment (`serve --workers N`, docs/audit.md "Workers"). */
function chainFiles(home: string): string[] {
  return chainLogs(home)
    .map((c) => c.logPath)
    .filter((f) => existsSync(f));
}

/** The entries of every chain together: each chain's last sequence number, summed (grows as any chain does). */
function entriesOf(v: VerifyResult): number {
  return v.lastSeq + (v.segments ?? []).reduce((n, g) => n + g.lastSeq, 0);
}

/** request id → names of the `read ok` records in every chain of the log (a torn last line is skipped). */
function auditedReads(home: string): Set<string> {
  const ids = new Set<string>();
  for (const line of chainFiles(home).flatMap((f) => readFileSync(f, "utf8").split("\n"))) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as { action?: string; outcome?: string; requestId?: string };
      if (e.action === "read" && e.outcome === "ok" && e.requestId) ids.add(e.requestId);
    } catch {
      // a torn tail: verify names it
    }
  }
  return ids;
}

describe(`crash: serve killed under read load (${TRIALS} SIGKILL trials)`, () => {
  it("every value received has its audit record; verify passes (or names the torn tail); the chain continues", {
    timeout: size(900_000, 3_600_000),
  }, async () => {
    const sb = sandbox({ prefix: "serve-audit" });
    expect((await run(sb, ["init"])).code).toBe(0);
    const envFile = join(sb.cwd, "reads.env");
    writeFileSync(envFile, NAMES.map((n) => `${n}=value-of-${n}`).join("\n"));
    expect((await run(sb, ["env", "import", envFile, "--tenant", "crash"])).code).toBe(0);
    let lastSeq = 0;
    for (let t = 0; t < TRIALS; t++) {
      const gw = await startGateway(sb);
      const received = new Map<string, string>();
      let started: () => void = () => undefined;
      const firstOk = new Promise<void>((r) => {
        started = r;
      });
      const clients = Array.from({ length: CLIENTS }, () => readUntilGone(gw, received, started));
      await firstOk;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400));
      await gw.kill("SIGKILL");
      tally.trial();
      tally.fault();
      await Promise.all(clients);
      tally.add("values received", received.size);

      const v = verifyAuditLog(sb.home, { allowUnsignedTail: true });
      if (!v.ok) {
        tally.check(/has no line end|not a JSON object/.test(v.problem), `audit verify after the kill: ${v.problem}`);
        tally.add("torn tails");
      } else {
        tally.check(entriesOf(v) > lastSeq, `the chains continued past ${lastSeq} entries (now ${entriesOf(v)})`);
        lastSeq = entriesOf(v);
        if (v.unsignedTail > 0 || v.segments?.some((g) => g.unsignedTail > 0)) tally.add("kills leaving an unsigned tail");
      }
      const audited = auditedReads(sb.home);
      const missing = [...received.keys()].filter((id) => !audited.has(id));
      tally.check(missing.length === 0, `${missing.length} value(s) received without their audit record (e.g. ${missing[0]})`);
    }
    // A clean run seals what the kills left; the whole chain then verifies, signed to the end.
    const gw = await startGateway(sb);
    expect((await gw.request("GET", `/v1/tenants/crash/secrets/${NAMES[0]}`)).status).toBe(200);
    expect(await gw.stop()).toBe(0);
    const end = verifyAuditLog(sb.home);
    tally.check(end.ok, `audit verify after a clean stop: ${end.ok ? "" : end.problem}`);
    if (end.ok)
      tally.check(
        entriesOf(end) > lastSeq && end.unsignedTail === 0 && (end.segments ?? []).every((g) => g.unsignedTail === 0),
        "every chain continued, sealed to its end",
      );
  });
});
