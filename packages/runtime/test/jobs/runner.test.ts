/**
 * The job runner with a job that only counts its runs (a test double for the job's work; the runner,
 * state store, audit log and alert webhook are real): schedules and their exact errors, one run per
 * period across two runtimes sharing a state store, audit records, the job.failure alert, status.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { CheckFailedError } from "@polyvault/core";
import { afterEach, describe, expect, it } from "vitest";
import { type JobRun, JobRunner, Runtime, type ScheduledJob, parseDuration, parseSchedule } from "../../src/index.js";
import { auditRecords } from "../helpers.js";

const records = (dataDir: string) => auditRecords(dataDir).filter((e) => e.action === "job.run");

/** A webhook receiver on 127.0.0.1 that checks each alert's HMAC signature as a user's would. */
async function startReceiver(key: string) {
  const received: Array<{ json: Record<string, unknown>; signatureValid: boolean }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      const want = `sha256=${createHmac("sha256", key).update(`${req.headers["x-polyvault-timestamp"]}.${body}`).digest("hex")}`;
      received.push({ json: JSON.parse(body) as Record<string, unknown>, signatureValid: req.headers["x-polyvault-signature"] === want });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function runtime(dataDir: string, key: string, extra: Record<string, unknown> = {}): Promise<Runtime> {
  const rt = await Runtime.open({ dataDir, config: { providers: { local: { type: "file" } }, ...extra }, env: { POLYVAULT_MASTER_KEY: key, ALERT_KEY: "k" } });
  opened.push(rt);
  return rt;
}

function counter(schedule: string, fail?: () => boolean): ScheduledJob & { runs: number } {
  const job = {
    name: "count",
    schedule,
    permission: "keys" as const,
    description: "counts",
    runs: 0,
    async run() {
      job.runs++;
      if (fail?.()) throw new CheckFailedError("the counter was told to fail");
      return { status: "done" as const, message: `run ${job.runs}`, counts: { n: job.runs } };
    },
  };
  return job;
}

describe("schedules", () => {
  it("parses durations and cron patterns, and names what is wrong", () => {
    expect(parseDuration("90d", "x")).toBe(90 * 86_400_000);
    expect(parseDuration("1s", "x")).toBe(1000);
    expect(() => parseDuration("0d", "keys.rotateEvery")).toThrow(
      'keys.rotateEvery: "0d" is not a duration (a whole number and s, m, h or d: 90d, 12h, 30m, 1s)',
    );
    expect(() => parseDuration("90 days", "k")).toThrow('k: "90 days" is not a duration');
    expect(() => parseDuration("-1s", "k")).toThrow('k: "-1s" is not a duration');
    expect(parseSchedule("every 2m", "s").periodMs).toBe(120_000);
    expect(parseSchedule("0 3 * * *", "s").next(new Date("2026-01-01T04:00:00Z")).getHours()).toBe(3);
    expect(() => parseSchedule("every day", "backups.schedule")).toThrow('backups.schedule: "day" is not a duration');
    expect(() => parseSchedule("61 * * * *", "backups.schedule")).toThrow(
      /^backups.schedule: "61 \* \* \* \*" is neither a cron pattern \(.+\) nor "every <n><s\|m\|h\|d>"/,
    );
    expect(() => parseSchedule("", "backups.schedule")).toThrow('backups.schedule: the schedule must be a cron pattern or "every <n><s|m|h|d>" (got "")');
  });
});

describe("the job runner", () => {
  it("runs a due job once, audits it, records it for status, and skips it until the next period", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-jobs-"));
    const rt = await runtime(dataDir, randomBytes(32).toString("base64"));
    const job = counter("every 1h");
    const runner = new JobRunner({ runtime: rt, jobs: [job] });
    const [first] = await runner.runDue();
    expect(first).toMatchObject({ job: "count", status: "done", message: "run 1", counts: { n: 1 } });
    const [second] = await runner.runDue();
    expect(second?.status).toBe("skipped");
    expect(second?.message).toMatch(/^not due until \d{4}-/);
    expect(job.runs).toBe(1);
    const [status] = await runner.status();
    expect(status?.lastRun).toMatchObject({ job: "count", ok: true, counts: { n: 1 } });
    expect(status?.nextRun?.getTime()).toBe((first?.startedAt.getTime() ?? 0) + 3_600_000);
    expect(records(dataDir).map((r) => [r.action, r.outcome, r.detail])).toEqual([
      ["job.run", "started", undefined],
      ["job.run", "ok", "job=count status=done n=1"],
    ]);
    // --force runs it anyway (still under the lease).
    expect((await runner.runDue({ force: true }))[0]?.status).toBe("done");
    expect(job.runs).toBe(2);
    expect(() => runner.job("nope")).toThrow("no scheduled job named 'nope' (configured: count)");
  });

  it("two runtimes sharing a state store run a job once per period", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-jobs-"));
    const key = randomBytes(32).toString("base64");
    const [a, b] = [await runtime(dataDir, key), await runtime(dataDir, key)];
    const jobA = counter("every 1h");
    const jobB = counter("every 1h");
    const [ra, rb] = [new JobRunner({ runtime: a, jobs: [jobA] }), new JobRunner({ runtime: b, jobs: [jobB] })];
    const runs = (await Promise.all([ra.runDue(), rb.runDue()])).flat();
    expect(jobA.runs + jobB.runs).toBe(1);
    expect(runs.map((r) => r.status).sort()).toEqual(["done", "skipped"]);
    expect(runs.find((r) => r.status === "skipped")?.message).toMatch(
      /^(running elsewhere: the lease is held by .+|already ran this period .+|not due until .+)$/,
    );
  });

  it("a job lease left by a dead process of this host is taken over at once; a live holder's is not", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-jobs-"));
    const rt = await runtime(dataDir, randomBytes(32).toString("base64"));
    const state = await rt.state();
    const job = counter("every 1h");
    const runner = new JobRunner({ runtime: rt, jobs: [job] });
    // A live process of this host (this one) holds the lease: the run is skipped, nothing runs.
    const live = `${hostname()}:${process.pid}:live0001`;
    expect(await state.tryLease("job:count", live, 300_000)).toBe(true);
    const [held] = await runner.runDue();
    expect(held).toMatchObject({ status: "skipped", message: `running elsewhere: the lease is held by ${live}` });
    expect(job.runs).toBe(0);
    await state.releaseLease("job:count", live);
    // A gateway killed mid-run left its lease (TTL 5 min): the restarted one runs the job now.
    const gone = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const dead = `${hostname()}:${gone}:dead0001`;
    expect(await state.tryLease("job:count", dead, 300_000)).toBe(true);
    const [taken] = await runner.runDue();
    expect(taken).toMatchObject({ status: "done", message: "run 1" });
    expect(job.runs).toBe(1);
    expect(await state.leaseHolder("job:count")).toBeUndefined(); // released after the run
    await rt.close();
  });

  it("a failing job is audited with its error, raises a job.failure alert, and is retried after retryMs", async () => {
    const rx = await startReceiver("k");
    opened.push(rx);
    const dataDir = mkdtempSync(join(tmpdir(), "pv-jobs-"));
    const rt = await runtime(dataDir, randomBytes(32).toString("base64"), { alerts: { webhook: rx.url, secretEnv: "ALERT_KEY" } });
    let failing = true;
    const job = counter("every 1h", () => failing);
    const runner = new JobRunner({ runtime: rt, jobs: [job], retryMs: 0 });
    const [failed] = await runner.runDue();
    expect(failed).toMatchObject({ status: "failed", error: { code: "CHECK_FAILED", message: "the counter was told to fail" } });
    expect(rx.received.map((r) => [r.json.kind, r.json.job, (r.json.error as { code: string }).code, r.signatureValid])).toEqual([
      ["job.failure", "count", "CHECK_FAILED", true],
    ]);
    expect(records(dataDir).map((r) => r.outcome)).toEqual(["started", "CHECK_FAILED"]);
    const [status] = await runner.status();
    expect(status?.lastRun?.ok).toBe(false);
    failing = false;
    const [retried] = await runner.runDue();
    expect(retried?.status).toBe("done");
    expect(rx.received).toHaveLength(1);
  });

  it("start() ticks on the schedule and stop() waits for the running job", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-jobs-"));
    const rt = await runtime(dataDir, randomBytes(32).toString("base64"));
    const job = counter("every 1s");
    const seen: JobRun[] = [];
    let enough: () => void = () => undefined;
    const twice = new Promise<void>((r) => {
      enough = r;
    });
    const runner = new JobRunner({
      runtime: rt,
      jobs: [job],
      onRun: (r) => {
        seen.push(r);
        if (seen.filter((x) => x.status === "done").length >= 2) enough();
      },
    }).start();
    await twice;
    await runner.stop();
    const done = seen.filter((r) => r.status === "done");
    // Never two runs within one period.
    const starts = done.map((r) => r.startedAt.getTime());
    for (const [i, t] of starts.entries()) if (i > 0) expect(t - (starts[i - 1] as number)).toBeGreaterThanOrEqual(1000);
    expect(job.runs).toBe(done.length);
  });

  it("a principal without the job's permission is denied: audited, the job's body never runs", async () => {
    const sha = (t: string) => createHash("sha256").update(t).digest("hex");
    const access = { principals: { bob: { tokenSha256: sha("bob-tok"), roles: [{ role: "writer", tenants: ["acme"] }] } }, lockout: { maxFailures: 100 } };
    const dataDir = mkdtempSync(join(tmpdir(), "pv-jobs-"));
    const rt = await Runtime.open({
      dataDir,
      config: { providers: { local: { type: "file" } }, access: access as never },
      env: { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64"), POLYVAULT_TOKEN: "bob-tok" },
    });
    opened.push(rt);
    const job = counter("every 1h");
    const [run] = await new JobRunner({ runtime: rt, jobs: [job] }).runDue();
    expect(run).toMatchObject({ status: "failed", error: { code: "ACCESS_DENIED" } });
    expect(job.runs).toBe(0);
    expect(records(dataDir).map((r) => [r.actor, r.outcome])).toEqual([["bob", "denied"]]);
  });

  it("a state store that cannot be asked is reported as a failed tick, never thrown from the timer", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-jobs-"));
    const rt = await runtime(dataDir, randomBytes(32).toString("base64"));
    await (await rt.state()).close();
    const job = counter("every 1h");
    const [run] = await new JobRunner({ runtime: rt, jobs: [job] }).runDue();
    expect(run?.status).toBe("failed");
    expect(run?.message).toMatch(/^the state store could not be asked: /);
    expect(job.runs).toBe(0);
  });
});
