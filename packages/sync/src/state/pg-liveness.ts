/**
 * Liveness of a PostgreSQL state store: one dedicated connection holds a session-level advisory lock
 * (namespace, holder key) for as long as this process lives. Every lease the store takes records that
 * holder key, and a lease whose holder's lock is gone counts as free. PostgreSQL drops a session's locks
 * the moment its connection ends, so when a gateway process dies its leases are free at once instead of
 * when their TTL runs out; TCP keepalives on the session bound the time a vanished host keeps them.
 */
import { randomInt } from "node:crypto";
import { Client, type ClientConfig } from "pg";
import { PG_LOCK_LIVENESS_NAMESPACE } from "./pg-migrations.js";

export interface KeepaliveOptions {
  /** Seconds of silence before the server probes this session's peer (default 5). */
  readonly idleSeconds?: number | undefined;
  readonly intervalSeconds?: number | undefined;
  readonly count?: number | undefined;
}

/** SQL that is true when `holderExpr`'s liveness lock is held by a live session in this database. */
export function holderAliveSql(holderExpr: string): string {
  return `EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 2
    AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND k.classid = ${PG_LOCK_LIVENESS_NAMESPACE}::oid AND k.objid = (${holderExpr})::oid)`;
}

const newKey = () => randomInt(1, 2 ** 31 - 1);

export class PgLiveness {
  #client: Client | undefined;
  #connecting: Promise<number> | undefined;
  #key = newKey();
  #closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly keepalive: KeepaliveOptions = {},
  ) {}

  /** The holder key, once a live connection of ours holds its lock (reconnects after a drop). */
  async key(): Promise<number> {
    if (this.#closed) throw new Error("the state store is closed");
    if (this.#client) return this.#key;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<number> {
    const client = new Client({ ...this.config, keepAlive: true, application_name: "polyvault-liveness" });
    const drop = () => {
      if (this.#client === client) this.#client = undefined;
    };
    // A dropped connection is not fatal: the next lease call reconnects and takes the lock again.
    client.on("error", drop);
    client.on("end", drop);
    await client.connect();
    try {
      const { idleSeconds = 5, intervalSeconds = 2, count = 3 } = this.keepalive;
      await client.query(
        "SELECT set_config('tcp_keepalives_idle', $1, false), set_config('tcp_keepalives_interval', $2, false), set_config('tcp_keepalives_count', $3, false)",
        [String(idleSeconds), String(intervalSeconds), String(count)],
      );
      // After a reconnect the old session may not be reaped yet (it still holds our key), and another
      // store may have drawn the same key: then draw a new one. Our lease renewals rewrite the key.
      for (let attempt = 0; attempt < 8; attempt++) {
        const r = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [PG_LOCK_LIVENESS_NAMESPACE, this.#key]);
        if (r.rows[0]?.ok) {
          if (this.#closed) break;
          this.#client = client;
          return this.#key;
        }
        this.#key = newKey();
      }
      throw new Error(this.#closed ? "the state store is closed" : "could not take a liveness lock");
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  /** Ends the session: every lease recorded under our key is free from now on. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => undefined);
  }
}
