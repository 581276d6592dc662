/** Progress on a terminal (cli-progress on stderr); nothing when not a TTY or with --json. */
import { SingleBar } from "cli-progress";
import type { Context } from "./context.js";

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progressBar(ctx: Context, label: string): Progress {
  if (!ctx.io.isTTY || ctx.out.json) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total}`,
    stream: ctx.io.stderr as NodeJS.WriteStream,
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else bar.update(done, { total });
      bar.setTotal(total);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
