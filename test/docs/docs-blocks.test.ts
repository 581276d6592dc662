// Every shell block in docs/*.md is either run by a test or marked ```sh no-run (a synopsis with
// placeholders): see docs/cli.md, "Examples in the README and these docs".
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, blocks } from "./blocks.js";

describe("docs/*.md shell blocks", () => {
  it("are each marked no-run (synopses) — none is left unclassified", () => {
    const unmarked = readdirSync(join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .flatMap((f) =>
        blocks(`docs/${f}`)
          .filter((b) => ["sh", "bash", "shell", "console"].includes(b.lang) && !b.flags.includes("no-run"))
          .map((b) => `docs/${f}:${b.line}`),
      );
    expect(unmarked).toEqual([]);
  });
});
