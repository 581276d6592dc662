/**
 * The detector: the baselines of every principal in memory, and the rules run on each access. Names
 * enter only as keyed hashes (HMAC-SHA256 under a key the caller derives; 64 bits kept), so neither the
 * state nor a finding holds a secret name. Pure apart from the injected clock and id source.
 */
import { createHmac, randomBytes } from "node:crypto";
import { type BaselineState, emptyPrincipal, emptyState } from "./baseline.js";
import type { AnomalyRule, ResolvedAnomalyOptions } from "./options.js";
import { type Finding, evaluate, prunePrincipal } from "./rules.js";

/** One access decision, as the guard (or the access-free step) reports it. */
export interface AccessObservation {
  readonly principal: string;
  /** Undefined for operations outside any tenant. */
  readonly tenant?: string | undefined;
  readonly name?: string | undefined;
  readonly denied: boolean;
}

export interface AnomalyFinding extends Finding {
  readonly principal: string;
}

/**
 * The prefix a name is grouped under: up to its first `/` (`db/url` → `db/`), else up to its first `_`,
 * `-` or `.` after the first character (`DATABASE_URL` → `DATABASE_`), else the whole name.
 */
export function namePrefix(name: string): string {
  const slash = name.indexOf("/");
  if (slash > 0) return name.slice(0, slash + 1);
  const sep = name.slice(1).search(/[_.-]/);
  return sep >= 0 ? name.slice(0, sep + 2) : name;
}

export class AnomalyDetector {
  state: BaselineState;
  readonly #counts = new Map<AnomalyRule, Map<string, number>>();
  /** The keyed hashes of recently seen names (two HMACs a request saved), at most 4,096. */
  readonly #hashCache = new Map<string, readonly [string, string]>();

  constructor(
    readonly options: ResolvedAnomalyOptions,
    readonly hashKey: Uint8Array,
    readonly now: () => number = Date.now,
    state?: BaselineState,
    /** This process's id in the burst slots (so that copies merged from several processes add up). */
    readonly writer: string = randomBytes(6).toString("hex"),
  ) {
    this.state = state ?? emptyState(now());
  }

  /** Whether the baseline is still learning (only the denials rule alerts then). */
  learning(at: number = this.now()): boolean {
    return at < this.state.createdAt + this.options.learningMs;
  }

  /** When the learning period ends. */
  get learningEnds(): Date {
    return new Date(this.state.createdAt + this.options.learningMs);
  }

  observe(obs: AccessObservation): AnomalyFinding[] {
    const time = this.now();
    const principals = this.state.principals;
    let p = principals[obs.principal];
    if (!p) {
      p = emptyPrincipal();
      principals[obs.principal] = p;
    }
    const hashed = obs.name === undefined ? undefined : this.#hashes(obs.tenant ?? "", obs.name);
    const findings = evaluate(
      p,
      {
        writer: this.writer,
        time,
        tenant: obs.tenant,
        key: hashed?.[0],
        prefix: hashed?.[1],
        denied: obs.denied,
        learning: this.learning(time),
      },
      this.options,
    );
    for (const f of findings) {
      const byPrincipal = this.#counts.get(f.rule) ?? new Map<string, number>();
      byPrincipal.set(obs.principal, (byPrincipal.get(obs.principal) ?? 0) + 1);
      this.#counts.set(f.rule, byPrincipal);
    }
    return findings.map((f) => ({ ...f, principal: obs.principal }));
  }

  /** Alerts raised by this process, per rule and principal (for the gateway's metric). */
  counts(): ReadonlyMap<AnomalyRule, ReadonlyMap<string, number>> {
    return this.#counts;
  }

  /** Drops what no rule needs any more (events older than every window, ended cooldowns). */
  prune(): void {
    const now = this.now();
    for (const p of Object.values(this.state.principals)) prunePrincipal(p, now, this.options);
  }

  #hashes(tenant: string, name: string): readonly [string, string] {
    const id = `${tenant}\0${name}`;
    let h = this.#hashCache.get(id);
    if (!h) {
      if (this.#hashCache.size >= 4096) this.#hashCache.clear();
      h = [this.#hash("n", tenant, name), this.#hash("p", tenant, namePrefix(name))];
      this.#hashCache.set(id, h);
    }
    return h;
  }

  #hash(kind: string, tenant: string, name: string): string {
    return createHmac("sha256", this.hashKey).update(`${kind}\0${tenant}\0${name}`, "utf8").digest("hex").slice(0, 16);
  }
}
