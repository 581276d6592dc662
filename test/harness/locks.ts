/**
 * Taking an audit lock (a directory, docs/audit.md) as another process does: when it is free. A gateway
 * may hold it for a moment after start-up or after answering (it releases a batch's waiters before the
 * lock), so a test that holds it to keep a request in flight waits for it rather than failing on EEXIST.
 */
import { mkdirSync } from "node:fs";

export async function takeLockWhenFree(lock: string): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
