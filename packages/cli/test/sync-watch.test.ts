// `sync run --watch` is a scheduler: it runs until it is stopped, whatever its stdin and stdout — started
// as a service manager or `nohup … &` starts it (stdin /dev/null, output to a file, no terminal), it keeps
// running its routes on schedule and stops cleanly on SIGTERM.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { BIN, cli, sandbox } from "../../../test/harness/cli.js";

const CONFIG = `
providers:
  local: { type: file }
  mirror: { type: file, dir: ./mirror-store }
tenants:
  acme: { primary: local, mirrors: [mirror] }
routes:
  every-second: { source: local, targets: [mirror], tenants: [acme], schedule: "* * * * * *" }
`;

const ndjson = (path: string): Array<{ route: string; counts?: { created: number } }> =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

describe("sync run --watch with stdin closed and output to a file (as systemd, nohup or `&` start it)", () => {
  it("keeps running its routes on schedule until SIGTERM, then exits 0", async () => {
    const sb = sandbox();
    writeFileSync(join(sb.cwd, "polyvault.yaml"), CONFIG);
    expect(cli(sb, ["init"]).code).toBe(0);
    expect(cli(sb, ["secrets", "set", "A", "--tenant", "acme", "--value-stdin"], "a").code).toBe(0);

    const outPath = join(sb.cwd, "watch.out");
    const errPath = join(sb.cwd, "watch.err");
    const out = openSync(outPath, "w");
    const err = openSync(errPath, "w");
    // stdin "ignore" is /dev/null: what `</dev/null` and a service manager give the process.
    const child = spawn(process.execPath, [BIN, "sync", "run", "--watch", "--json"], { cwd: sb.cwd, env: sb.env, stdio: ["ignore", out, err] });
    closeSync(out);
    closeSync(err);
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((done) =>
      child.on("exit", (code) => {
        exitCode = code;
        done(code);
      }),
    );

    // Wait for the event (three runs recorded, one NDJSON line each), or for the process to end early.
    while (exitCode === undefined && ndjson(outPath).length < 3) await sleep(100);
    expect(exitCode, `the scheduler exited on its own; stderr: ${readFileSync(errPath, "utf8")}`).toBeUndefined();
    const runs = ndjson(outPath);
    expect(runs.every((l) => l.route === "every-second")).toBe(true);

    const status = cli(sb, ["sync", "status", "--json"]);
    expect(JSON.parse(status.out).routes[0].lastRun.ok).toBe(true);
    expect(cli(sb, ["secrets", "get", "A", "--tenant", "acme", "--json"]).code).toBe(0);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 120_000);
});
