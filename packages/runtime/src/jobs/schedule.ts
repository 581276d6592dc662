/**
 * A job's schedule: a cron pattern (croner) or `every <n><unit>`. Both answer "when is the next run
 * due after a run that started at T" (the state store keeps T for every gateway), and how often the
 * runner looks: at the cron's own times, or, for `every`, each second (periods under 10 minutes) or
 * each minute, checking the time since the last run against the period.
 */
import { InvalidInputError, type Keyring } from "@polyvault/core";
import { Cron } from "croner";

const UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^([1-9][0-9]{0,6})([smhd])$/;
const FAST_POLL_BELOW_MS = 10 * 60_000;

/** `90d`, `12h`, `30m`, `1s` → milliseconds; anything else is InvalidInputError naming `where`. */
export function parseDuration(text: unknown, where: string): number {
  const m = typeof text === "string" ? DURATION.exec(text) : null;
  if (!m) throw new InvalidInputError(`${where}: ${JSON.stringify(text)} is not a duration (a whole number and s, m, h or d: 90d, 12h, 30m, 1s)`);
  return Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
}

export interface Schedule {
  readonly text: string;
  /** When the next run is due after a run that started at `last`. */
  next(last: Date): Date;
  /** The croner pattern the runner ticks on. */
  readonly tick: string;
  /** `every` schedules: the period. */
  readonly periodMs?: number | undefined;
}

/** Parses `every 90d` or a cron pattern (5 fields, or 6 with seconds first); InvalidInputError naming `where`. */
export function parseSchedule(text: unknown, where: string): Schedule {
  if (typeof text !== "string" || text.trim() === "")
    throw new InvalidInputError(`${where}: the schedule must be a cron pattern or "every <n><s|m|h|d>" (got ${JSON.stringify(text)})`);
  const every = /^every\s+(\S+)$/.exec(text.trim());
  if (every) {
    const ms = parseDuration(every[1], where);
    return { text, periodMs: ms, next: (last) => new Date(last.getTime() + ms), tick: ms < FAST_POLL_BELOW_MS ? "* * * * * *" : "0 * * * * *" };
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { paused: true });
  } catch (err) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(text)} is neither a cron pattern (${(err as Error).message}) nor "every <n><s|m|h|d>" (every 90d, every 1h)`,
    );
  }
  if (cron.nextRun() === null) throw new InvalidInputError(`${where}: the cron pattern ${JSON.stringify(text)} never fires`);
  return { text, tick: text, next: (last) => cron.nextRun(last) ?? new Date(8.64e15) };
}

/** When the keyring's current version is `everyMs` old: the next scheduled key rotation (keys.rotate). */
export function nextKeyRotation(keyring: Keyring, everyMs: number): Date {
  const current = keyring.versions().find((v) => v.version === keyring.current);
  return new Date((current?.createdAt.getTime() ?? 0) + everyMs);
}
