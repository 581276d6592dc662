/**
 * Turns the walk's stop into the first bad record: its line, the record number that belongs there, and a
 * sentence a person can act on. One line of lookahead decides between neighbours: an edited record fails
 * its own MAC, but a moved or inserted one can only be told from the line after it (which of two lines
 * claiming the same place does the chain continue from?).
 */
import { hashEntry, verifyStatement } from "./canonical.js";
import type { Parsed, Walk } from "./walk.js";

/** The first bad record: its line, its sequence number and what is wrong with it. */
export function diagnose(w: Walk): { line: number; seq: number | undefined; problem: string } {
  const f = w.failure;
  if (!f) throw new Error("diagnose() without a failure");
  const own = typeof f.entry?.seq === "number" ? f.entry.seq : undefined;
  const at = (line: number, seq: number | undefined, problem: string) => ({
    line,
    seq,
    problem: `line ${line}${seq === undefined ? "" : ` (record ${seq})`} ${problem}`,
  });
  const confirms = (e: Parsed | undefined) => e !== undefined && w.next !== null && w.next.prev === hashEntry(e);
  switch (f.kind) {
    case "gap":
      // The next line continuing the chain where this one should have: this line was inserted.
      if (w.next !== null && w.next.seq === w.expSeq && w.next.prev === w.expPrev)
        return at(f.line, w.expSeq, `holds record ${own}, ahead of its place: records reordered, or this one inserted (the next line continues the chain)`);
      return at(f.line, w.expSeq, `is missing (deleted, or records reordered): line ${f.line} holds record ${own} instead`);
    case "back": {
      if (f.entry && hashEntry(f.entry) === w.expPrev) return at(f.line, w.expSeq, "is a copy of the line before it (inserted)");
      // Two lines claim the same predecessor: the one the next line links to is genuine, the other inserted.
      const fork = own === w.expSeq - 1 && f.entry?.prev === w.prev?.prev;
      if (fork && w.prev && confirms(f.entry))
        return at(
          w.prev.line,
          w.prev.seq,
          `is an inserted record: line ${f.line} carries the same place in the chain and the records after it link to that one`,
        );
      return at(f.line, w.expSeq, fork ? "is an inserted record: it forks the chain at its predecessor" : f.problem);
    }
    case "chain": {
      // The link from this entry to the one before is broken: either that one was altered, or this one was.
      const intact =
        confirms(f.entry) ||
        (w.next === null &&
          f.entry?.type === "checkpoint" &&
          w.key !== undefined &&
          verifyStatement(w.key, { ...f.entry, count: f.entry.count as number, head: f.entry.prev as string }));
      if ((intact || w.next === null) && w.prev)
        return at(w.prev.line, w.prev.seq, `was altered: its hash no longer matches the one record ${own} (line ${f.line}) carries`);
      return at(f.line, own, "was altered: the hash it carries does not match the record before it");
    }
    default:
      return at(f.line, f.kind === "parse" || f.kind === "shape" || f.kind === "mac" ? w.expSeq : own, f.problem);
  }
}
