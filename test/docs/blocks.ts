// Fenced code blocks of a Markdown page, with their info string (```sh no-run → lang "sh", flags ["no-run"]).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");

export interface Block {
  readonly lang: string;
  readonly flags: readonly string[];
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The nearest heading above it. */
  readonly heading: string;
}

export function blocks(page: string): Block[] {
  const lines = readFileSync(resolve(ROOT, page), "utf8").split("\n");
  const out: Block[] = [];
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (/^#{1,6} /.test(l)) heading = l.replace(/^#+ /, "");
    const open = /^```(\S*)(.*)$/.exec(l);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith("```"); i++) body.push(lines[i] as string);
    out.push({ lang: open[1] ?? "", flags: (open[2] ?? "").trim().split(/\s+/).filter(Boolean), code: `${body.join("\n")}\n`, line: start + 1, heading });
  }
  return out;
}
