/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went: each sample's self time is
 * given to the layer of the nearest frame that belongs to the project or to a library it uses (so a
 * system call made by the file provider counts as the provider's, an HMAC made by the audit log as the
 * audit's), and the top functions by self time are listed with their layer.
 */
import { readFileSync } from "node:fs";

const LAYERS = [
  [/^node:internal\/modules\//, "start-up (module loading)"],
  [/packages\/core\/dist\/audit\/|proper-lockfile|canonicalize/, "audit"],
  [/packages\/core\/dist\/access\/|packages\/runtime\/dist\/requests/, "auth"],
  [/packages\/core\/dist\/crypto\//, "crypto"],
  [/packages\/provider-[a-z]+\/dist\/|@aws-sdk|@smithy|node-vault|@azure/, "provider"],
  [/packages\/core\/dist\/(manager\/|names|errors|provider)/, "manager"],
  [/packages\/sync\/dist\/state\/|better-sqlite3|\/pg\//, "sync state"],
  [/packages\/sync\/dist\/|cockatiel|p-queue|limiter/, "gate"],
  [/packages\/runtime\/dist\//, "runtime"],
  [/prom-client/, "metrics"],
  [/pino|sonic-boom|thread-stream/, "logging"],
  [
    /packages\/server\/dist\/|fastify|find-my-way|light-my-request|avvio|fast-json-stringify|fast-querystring|ajv|zod|secure-json-parse|toad-cache|rfdc/,
    "http (fastify, schemas, routes)",
  ],
  [/node:_http|node:http|node:net|node:stream|node:internal\/(http|streams|net|stream_base)|_http_/, "http (node)"],
  [/bench\//, "bench"],
];

const layerOfUrl = (url) => LAYERS.find(([re]) => re.test(url))?.[1];

export function summarizeProfile(file, top = 25) {
  const p = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map();
  const layerOf = (id) => {
    if (cache.has(id)) return cache.get(id);
    const n = byId.get(id);
    const f = n.callFrame.functionName;
    let l = layerOfUrl(n.callFrame.url);
    if (!l) {
      const up = parent.get(id);
      l = up === undefined || up === 1 || f.startsWith("(") ? (f.startsWith("(") ? f : "node (other)") : layerOf(up);
    }
    cache.set(id, l);
    return l;
  };
  const layers = new Map();
  const fns = new Map();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    total += d;
    const n = byId.get(p.samples[i]);
    const l = layerOf(n.id);
    layers.set(l, (layers.get(l) ?? 0) + d);
    const cf = n.callFrame;
    const key = `${cf.functionName || "(anonymous)"} ${cf.url.replace(/^.*\/(node_modules|packages)\//, "").replace(/^file:\/\//, "")}${cf.url ? `:${cf.lineNumber + 1}` : ""}`;
    const e = fns.get(key) ?? { ms: 0, by: new Map() };
    e.ms += d / 1000;
    e.by.set(l, (e.by.get(l) ?? 0) + d);
    fns.set(key, e);
  }
  const pct = (us) => +((100 * us) / total).toFixed(1);
  // The work of serving (what one GET costs): neither waiting (idle) nor loading modules at start-up.
  const busy = [...layers].filter(([l]) => l !== "(idle)" && !l.startsWith("start-up")).reduce((a, [, us]) => a + us, 0);
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    layers: [...layers]
      .sort((a, b) => b[1] - a[1])
      .map(([layer, us]) => ({
        layer,
        ms: Math.round(us / 1000),
        percent: pct(us),
        ofBusy: layer === "(idle)" || layer.startsWith("start-up") ? undefined : +((100 * us) / busy).toFixed(1),
      })),
    top: [...fns]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, top)
      .map(([fn, e]) => ({ fn, layer: [...e.by].sort((a, b) => b[1] - a[1])[0][0], ms: Math.round(e.ms), percent: pct(e.ms * 1000) })),
  };
}

export function printProfile(s, log = console.log) {
  log(`  self time by layer (of ${s.totalMs} ms sampled; "of busy": of the ${s.busyMs} ms neither idle nor start-up):`);
  for (const l of s.layers)
    log(`    ${String(l.percent).padStart(5)} %  ${String(l.ms).padStart(6)} ms  ${l.ofBusy === undefined ? "" : `${l.ofBusy} % of busy  `}${l.layer}`);
  log("  top functions by self time:");
  for (const f of s.top) log(`    ${String(f.percent).padStart(5)} %  ${String(f.ms).padStart(6)} ms  ${f.fn}  [${f.layer}]`);
}
