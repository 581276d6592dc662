// Preloaded (`node --import`) by bench/sync-plan-memory.mjs: reports the process's peak resident set on stderr at exit.
import { writeSync } from "node:fs";

process.on("exit", () => {
  writeSync(2, `\nPV_MAXRSS=${process.resourceUsage().maxRSS}\n`);
});
