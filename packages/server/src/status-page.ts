/**
 * The read-only status page at `/`: providers (up, latency, breaker), routes with their last runs, the
 * syncs this gateway ran, and the latest audit records. Served without a token, so it shows no secret
 * names either (only who did what in which tenant, and how it ended), and never a value. Plain
 * server-rendered HTML with every dynamic text escaped; no script. Times read "5 minutes ago", with the
 * ISO time in a <time> element's datetime and tooltip; each tenant's mirrors show how far behind they are.
 */
import { open } from "node:fs/promises";
import { type AuditRecord, chainLogs } from "@polyvault/core";
import type { RunRecord } from "./activity.js";
import type { ProviderHealth } from "./health.js";

export interface StatusData {
  readonly version: string;
  readonly providers: Record<string, ProviderHealth>;
  readonly routes: ReadonlyArray<{
    name: string;
    source: string;
    targets: string[];
    schedule: string | undefined;
    lastRun: { finishedAt: Date; ok: boolean } | undefined;
    pending: number;
  }>;
  readonly runs: readonly RunRecord[];
  readonly audit: readonly AuditRecord[];
  /** Each tenant's mirrors (and route targets) with the last time a sync wrote to them for that tenant. */
  readonly mirrors?: ReadonlyArray<{ tenant: string; mirror: string; lastSyncedAt: Date | undefined }>;
  /** The time the page is rendered at (relative times are from it). */
  readonly now?: Date;
}

/** A cell's markup, already escaped (times). */
interface Html {
  readonly html: string;
}

const esc = (v: unknown): string => String(v ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const cell = (c: unknown) => (c !== null && typeof c === "object" && "html" in c ? (c as Html).html : esc(c));
const row = (cells: unknown[]) => `<tr>${cells.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`;

const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1000],
];
/** The largest whole unit of a duration: [5, "minute"]. */
function largestUnit(ms: number): [number, Intl.RelativeTimeFormatUnit] {
  for (const [unit, size] of UNITS) if (Math.abs(ms) >= size) return [Math.round(ms / size), unit];
  return [ms <= 0 ? -0 : 0, "second"]; // -0: Intl says "0 seconds ago", not "in 0 seconds"
}
const relative = new Intl.RelativeTimeFormat("en", { numeric: "always" });
const duration = (ms: number) => {
  const [n, unit] = largestUnit(ms);
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
};

/** "5 minutes ago", with the ISO time on hover and in datetime; "never" when there is no time. */
function ago(t: Date | string | undefined, now: Date, never = "never"): Html | string {
  if (t === undefined) return never;
  const d = typeof t === "string" ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) return String(t);
  // A time recorded here is in the past; a few milliseconds "ahead" (the clock read first) is "0 seconds ago".
  const [n, unit] = largestUnit(Math.min(d.getTime() - now.getTime(), 0));
  const iso = d.toISOString();
  return { html: `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(relative.format(n, unit))}</time>` };
}
const table = (id: string, head: string[], rows: unknown[][], empty: string) =>
  rows.length
    ? `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map(row).join("")}</tbody></table>`
    : `<p id="${id}" class="empty">${esc(empty)}</p>`;

/**
 * The newest `max` audit records, read from the end of each chain (the main one and each worker's
 * segment; a large log is not read whole), newest first.
 */
export async function recentAudit(dataDir: string, max = 20, tailBytes = 256 * 1024): Promise<AuditRecord[]> {
  const all = (await Promise.all(chainLogs(dataDir).map((c) => chainTail(c.logPath, c.segment, max, tailBytes)))).flat();
  return all.sort((x, y) => Date.parse(y.time) - Date.parse(x.time)).slice(0, max);
}

async function chainTail(path: string, segment: string | undefined, max: number, tailBytes: number): Promise<AuditRecord[]> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, "r");
    const { size } = await fh.stat();
    const start = Math.max(0, size - tailBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString("utf8").split("\n");
    if (start > 0) lines.shift(); // a partial first line
    const out: AuditRecord[] = [];
    for (let i = lines.length - 1; i >= 0 && out.length < max; i--) {
      try {
        const e = JSON.parse(lines[i] as string) as AuditRecord;
        if (e.type === "record") out.push(segment === undefined ? e : { ...e, segment });
      } catch {
        // an empty or torn line; `polyvault audit verify` is the tool for a damaged log
      }
    }
    return out;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  } finally {
    await fh?.close();
  }
}

export function renderStatusPage(d: StatusData): string {
  const now = d.now ?? new Date();
  const providers = Object.entries(d.providers).map(([n, p]) => [n, p.type, p.up ? "up" : "down", `${p.latencyMs} ms`, p.breaker, p.detail ?? ""]);
  const routes = d.routes.map((r) => [
    r.name,
    r.source,
    r.targets.join(", "),
    r.schedule ?? "manual",
    ago(r.lastRun?.finishedAt, now),
    r.lastRun ? (r.lastRun.ok ? "ok" : "failed") : "",
    r.pending,
  ]);
  const runs = d.runs.map((r) => [
    ago(r.at, now),
    r.route,
    r.source,
    r.error ? `error: ${r.error}` : r.skipped ? `skipped: ${r.skipped}` : r.ok ? "ok" : "failed",
    r.counts
      ? Object.entries(r.counts)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")
      : "",
  ]);
  const mirrors = (d.mirrors ?? []).map((m) => [
    m.tenant,
    m.mirror,
    ago(m.lastSyncedAt, now, "never synced"),
    m.lastSyncedAt ? `at most ${duration(Math.max(0, now.getTime() - m.lastSyncedAt.getTime()))}` : "everything (never synced)",
  ]);
  const audit = d.audit.map((a) => [ago(a.time, now), a.actor, a.action, a.tenant ?? "", a.provider ?? "", a.outcome]);
  const allUp = Object.values(d.providers).every((p) => p.up);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15"><title>Polyvault gateway</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f3f3f3}.ok{color:#176f2c}.bad{color:#b00020}.empty{color:#777}</style>
</head><body>
<h1>Polyvault gateway <small>${esc(d.version)}</small></h1>
<p id="overall" class="${allUp ? "ok" : "bad"}">${allUp ? "All providers up" : "Some providers are down: reads fail over to mirrors"}</p>
<h2>Providers</h2>${table("providers", ["Provider", "Type", "State", "Latency", "Breaker", "Detail"], providers, "no providers configured")}
<h2>Routes</h2>${table("routes", ["Route", "Source", "Targets", "Schedule", "Last run", "Result", "Unfinished"], routes, "no routes configured")}
<h2>Mirrors</h2>${table("mirrors", ["Tenant", "Mirror", "Last synced", "Behind by"], mirrors, "no tenant has a mirror")}
<h2>Recent syncs by this gateway</h2>${table("runs", ["Time", "Route", "Started by", "Result", "Counts"], runs, "no sync has run in this process yet")}
<h2>Recent audit events</h2>${table("audit", ["Time", "Actor", "Action", "Tenant", "Provider", "Outcome"], audit, "no audit records yet")}
<p class="empty">Secret names and values are never shown here. <a href="/openapi.json">API</a> · <a href="/metrics">metrics</a> · <a href="/health/secrets">provider health</a></p>
</body></html>
`;
}
