/**
 * `Output.resultList` (the --json answer of `sync plan`, written a thousand rows at a time): the bytes are
 * exactly those of `result()` with the whole list, the --json renames included, and a slow stdout is
 * waited for (backpressure) instead of buffered whole.
 */
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type Io, Output, jsonLine } from "../src/output.js";

const io = (stdout: NodeJS.WritableStream): Io => ({ stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, isTTY: false });

function collect(highWaterMark = 16 * 1024): { stream: Writable; text: () => string; maxPending: () => number } {
  const chunks: Buffer[] = [];
  let pending = 0;
  let maxPending = 0;
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      setImmediate(cb); // a consumer slower than the writer
    },
  });
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string, ...rest: never[]) => {
    pending = stream.writableLength + Buffer.byteLength(chunk);
    maxPending = Math.max(maxPending, pending);
    return write(chunk, ...rest);
  }) as typeof stream.write;
  return { stream, text: () => Buffer.concat(chunks).toString("utf8"), maxPending: () => maxPending };
}

const rows = Array.from({ length: 2_503 }, (_, i) => ({ name: `app/${i}`, revision: i + 1, action: i % 7 ? "noop" : "update" }));

describe("Output.resultList", () => {
  it("prints the same one line as result() with the whole list, renames included", async () => {
    const whole = collect();
    new Output(io(whole.stream), true).result({ actions: rows.map((r) => ({ ...r })), summary: { noop: 2145, previousRevision: 3 } }, () => "");
    const listed = collect();
    await new Output(io(listed.stream), true).resultList(
      "actions",
      rows,
      (r) => ({ ...r }),
      { summary: { noop: 2145, previousRevision: 3 } },
      () => "",
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(listed.text()).toBe(whole.text());
    expect(listed.text()).toBe(`${jsonLine({ actions: rows, summary: { noop: 2145, previousRevision: 3 } })}\n`);
    expect(listed.text().split("\n")).toHaveLength(2);
    expect(JSON.parse(listed.text()).actions[2502]).toEqual({ name: "app/2502", version: 2503, action: "noop" });
  });

  it("an empty list and no other members", async () => {
    const out = collect();
    await new Output(io(out.stream), true).resultList(
      "actions",
      [],
      (r) => r,
      {},
      () => "",
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(out.text()).toBe('{"actions":[]}\n');
  });

  it("waits for a slow stdout: never more than one chunk of rows buffered beyond its high-water mark", async () => {
    const out = collect(1024);
    await new Output(io(out.stream), true).resultList(
      "actions",
      rows,
      (r) => r,
      { summary: {} },
      () => "",
    );
    const oneChunk = Math.max(...[0, 1000, 2000].map((i) => jsonLine(rows.slice(i, i + 1000)).length));
    expect(out.maxPending()).toBeLessThan(1024 + oneChunk + 64);
    // Written whole, without waiting, the answer would have been pending at once.
    expect(out.maxPending()).toBeLessThan(jsonLine(rows).length / 2);
    expect(out.maxPending()).toBeGreaterThan(0);
  });

  it("without --json prints the human lines", async () => {
    const out = collect();
    await new Output(io(out.stream), false).resultList(
      "actions",
      rows,
      (r) => r,
      {},
      () => ["a", "b"],
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(out.text()).toBe("a\nb\n");
  });

  it("stdout closed mid-answer rejects instead of waiting for ever", async () => {
    const stream = new Writable({ highWaterMark: 16, write: (_c, _e, _cb) => undefined }); // never takes a byte
    const answer = new Output(io(stream), true).resultList(
      "actions",
      rows,
      (r) => r,
      {},
      () => "",
    );
    setTimeout(() => stream.destroy(), 20);
    await expect(answer).rejects.toThrow(/closed before the answer was written/);
  });
});
