/**
 * wrk (https://github.com/wg/wrk), the C load generator: one run, its figures read from a Lua `done`
 * hook (exact p50/p99 from wrk's latency histogram, non-2xx answers, socket errors) rather than parsed
 * from its human report.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const WRK_MISSING =
  "bench: wrk is not on PATH. Install it: `apt-get install -y wrk` (Debian, Ubuntu), `dnf install wrk` (Fedora), `brew install wrk` (macOS), or build it from https://github.com/wg/wrk";

export const hasWrk = () => {
  const r = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  return !r.error && /wrk/.test(`${r.stdout}${r.stderr}`);
};

const SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK-JSON {\\"requests\\":%d,\\"durationUs\\":%d,\\"p50Us\\":%d,\\"p99Us\\":%d,\\"maxUs\\":%d,\\"non2xx\\":%d,\\"socketErrors\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
`;
let script;

/** Runs wrk against `url`; returns req/s, p50, p99 and max (ms), and error counts. */
export function wrk({ url, headers = {}, connections, threads, seconds }) {
  if (!script) {
    script = join(mkdtempSync(join(tmpdir(), "pv-wrk-")), "report.lua");
    writeFileSync(script, SCRIPT);
  }
  const args = ["-t", String(Math.min(threads, connections)), "-c", String(connections), "-d", `${seconds}s`, "--timeout", "10s", "-s", script];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const r = spawnSync("wrk", [...args, url], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  const line = /WRK-JSON (\{.*\})/.exec(r.stdout ?? "");
  if (r.status !== 0 || !line) throw new Error(`wrk failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  const j = JSON.parse(line[1]);
  return {
    requests: j.requests,
    rps: j.requests / (j.durationUs / 1e6),
    p50: j.p50Us / 1000,
    p99: j.p99Us / 1000,
    max: j.maxUs / 1000,
    non2xx: j.non2xx,
    socketErrors: j.socketErrors,
  };
}
