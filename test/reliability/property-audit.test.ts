/**
 * Audit verification under random tampering. A genuine, closed log (records and signed checkpoints) is
 * mutated at random — a character changed, a line deleted, duplicated, moved or swapped, the file cut at
 * any byte, a garbage or forged line inserted, several of these at once, audit.head edited — and
 * verifyAuditLog (what `polyvault audit verify` runs) must report it: ok false (or IntegrityError, exit 6,
 * for a damaged audit.head), never another error, never ok.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog, IntegrityError, verifyAuditLog } from "@polyvault/core";
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { PROPERTY_RUNS, size } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";
import { tempDir } from "../harness/cli.js";

const tally = new Tally("property-audit");
const OPERATIONS = ["keys.rotate", "keys.rewrap", "keys.retire", "backup.create", "backup.restore", "sync.apply"];
/** Each verification reads and checks the whole log (HMACs, Ed25519 signatures): ~2–4 ms a case. */
const TIMEOUT = size(60_000, 600_000);
let genuine: string;
let lines: string[];
let head: string;
let scratch: string;

beforeAll(async () => {
  genuine = tempDir("audit");
  const log = new AuditLog(genuine, { checkpointEvery: 10 });
  for (let i = 1; i <= 30; i++) {
    await log.append({
      actor: `user-${i % 3}`,
      action: i % 4 ? "read" : "write",
      outcome: i % 9 ? "ok" : "denied",
      tenant: i % 2 ? "acme" : "globex",
      name: `db/secret-${i}`,
      requestId: `r-${i}`,
    });
    if (i % 5 === 0) {
      // The operations layer's pair (runtime/src/operations): a write-ahead record, then the outcome with its detail.
      const op = { actor: "admin", action: OPERATIONS[(i / 5) % OPERATIONS.length] as string, tenant: "acme", requestId: `op-${i}` };
      await log.append({ ...op, outcome: "started" });
      await log.append({ ...op, outcome: "ok", detail: `secrets=${i} versions=${2 * i} skipped=0` });
    }
  }
  await log.close();
  lines = readFileSync(join(genuine, "audit.log"), "utf8").split("\n").slice(0, -1);
  head = readFileSync(join(genuine, "audit.head"), "utf8");
  scratch = tempDir("audit-scratch");
  cpSync(genuine, scratch, { recursive: true });
});

const PRINTABLE = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const edit = fc.oneof(
  fc.record({ kind: fc.constant("char" as const), line: fc.nat(), at: fc.nat(), ch: PRINTABLE }),
  fc.record({ kind: fc.constant("delete" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("move" as const), from: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    line: fc.nat(),
    text: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom("{}", "null", "[]", '{"v":1,"type":"record"}')),
  }),
  fc.record({ kind: fc.constant("forge" as const), line: fc.nat(), actor: fc.constantFrom("mallory", "user-1") }),
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function apply(all: string[], e: Edit): string[] {
  const out = [...all];
  const at = (i: number, extra = 0) => i % (out.length + extra);
  if (e.kind === "char") {
    const i = at(e.line);
    const l = out[i] as string;
    const j = e.at % l.length;
    out[i] = l.slice(0, j) + e.ch + l.slice(j + 1);
  } else if (e.kind === "delete") out.splice(at(e.line), 1);
  else if (e.kind === "duplicate") out.splice(at(e.line), 0, out[at(e.line)] as string);
  else if (e.kind === "move") {
    const [l] = out.splice(at(e.from), 1);
    out.splice(at(e.to, 1), 0, l as string);
  } else if (e.kind === "swap") {
    const [i, j] = [at(e.a), at(e.b)];
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  } else if (e.kind === "insert") out.splice(at(e.line, 1), 0, e.text);
  else {
    // A record that fits the chain's shape (next seq, a prev) but was written without the key.
    const i = at(e.line);
    let prior: { seq?: number; prev?: string } = {};
    try {
      const parsed: unknown = JSON.parse(out[i] as string);
      if (parsed && typeof parsed === "object") prior = parsed;
    } catch {
      // an earlier edit broke that line: forge after it anyway
    }
    out.splice(
      i + 1,
      0,
      JSON.stringify({
        v: 1,
        type: "record",
        seq: (prior.seq ?? 0) + 1,
        time: new Date().toISOString(),
        actor: e.actor,
        action: "read",
        outcome: "ok",
        prev: prior.prev,
        // A well-formed MAC (another genuine record's), so a verifier that only checked the field's
        // shape would accept it: only the key can tell it is wrong.
        mac: genuineMac(i),
      }),
    );
  }
  return out;
}

/** The MAC field of a genuine record other than line i (a real MAC under the real key, for another record). */
function genuineMac(i: number): string {
  const macs = lines.map((l) => (JSON.parse(l) as { mac?: unknown }).mac).filter((m): m is string => typeof m === "string");
  return macs[(i + 1) % macs.length] as string;
}

function verdict(log: string, headText = head): boolean {
  writeFileSync(join(scratch, "audit.log"), log);
  writeFileSync(join(scratch, "audit.head"), headText);
  tally.trial();
  try {
    return verifyAuditLog(scratch).ok;
  } catch (err) {
    // A damaged audit.head is thrown as IntegrityError (exit 6 from `audit verify`): reported, too.
    tally.check(err instanceof IntegrityError, `verifyAuditLog threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
    return false;
  }
}

describe(`audit verification under random mutations (${PROPERTY_RUNS} cases per property)`, () => {
  it("the untouched log verifies (the suite is not refusing everything)", () => {
    tally.check(verdict(`${lines.join("\n")}\n`), "genuine log verifies");
  });

  it("one to three random edits of the lines are always reported", { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const out = edits.reduce(apply, lines);
        const text = out.length ? `${out.join("\n")}\n` : "";
        fc.pre(text !== `${lines.join("\n")}\n`); // e.g. a swap of a line with itself changes nothing
        tally.fault(edits.length);
        tally.check(!verdict(text), `tampering not detected: ${JSON.stringify(edits)}`);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("the file cut at any byte is reported", { timeout: TIMEOUT }, () => {
    const full = `${lines.join("\n")}\n`;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: full.length - 1 }), (cut) => {
        tally.fault();
        tally.check(!verdict(full.slice(0, cut)), `truncation at byte ${cut} not detected`);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("an edited audit.head (the truncation guard) is reported", { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.nat(), PRINTABLE, (at, ch) => {
        const j = at % head.length;
        const edited = head.slice(0, j) + ch + head.slice(j + 1);
        fc.pre(edited !== head && edited.trim() !== head.trim());
        tally.fault();
        tally.check(!verdict(`${lines.join("\n")}\n`, edited), `edited audit.head accepted: ${JSON.stringify(edited)}`);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
