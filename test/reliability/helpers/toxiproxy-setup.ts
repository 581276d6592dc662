/**
 * The reliability project's global set-up: toxiproxy is one process shared by every suite file that
 * injects TCP faults (fault-injection, fault-aws-tag-reset), and files run in parallel. It is started
 * here once, before any worker, and stopped here once, after every file has finished, and only if this
 * run started it. A suite file that started and stopped it itself could stop it under another file still
 * using it (stop 26's CI: ECONNREFUSED on toxiproxy's API in the middle of fault-aws-tag-reset).
 */
import * as toxiproxy from "../../fault/toxiproxy.mjs";

export async function setup(): Promise<() => Promise<void>> {
  const before = await toxiproxy.status();
  await toxiproxy.start();
  return async () => {
    if (before.state !== "up" && !process.env.POLYVAULT_KEEP_EMULATORS) await toxiproxy.stop();
  };
}
