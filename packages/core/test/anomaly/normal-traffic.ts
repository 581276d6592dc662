/**
 * A generated, realistic schedule of secret reads (deterministic: a seeded PRNG), by several principals
 * with different habits, one day at a time:
 * - web-app: a service reading its connection strings all day, busier in business hours (about 3,000
 *   reads a day), and a deploy at 10:00 that reads its 12 names within a minute;
 * - ci: 6 to 15 pipeline runs on weekdays between 07:00 and 20:00, each reading 8 names of acme or
 *   globex within 30 s;
 * - alice: a person, weekdays 09:00–18:00, a few reads and lists in acme, globex and (every other day)
 *   initech, sometimes denied on a name she has no grant for;
 * - backup: at 02:00 every day, reads all 30 names of acme in two minutes;
 * - rotator: at minute 5 of every hour, reads 3 names of acme.
 */
import { DAY, HOUR } from "./clock.js";

export interface Access {
  readonly t: number;
  readonly principal: string;
  readonly tenant: string;
  readonly name?: string | undefined;
  readonly denied: boolean;
}

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const APP_NAMES = [
  "DATABASE_URL",
  "REDIS_URL",
  "STRIPE_KEY",
  "SENTRY_DSN",
  "SMTP_PASSWORD",
  "JWT_SECRET",
  "S3_ACCESS_KEY",
  "S3_SECRET_KEY",
  "OAUTH_CLIENT_ID",
  "OAUTH_CLIENT_SECRET",
  "FEATURE_FLAGS_TOKEN",
  "SEARCH_API_KEY",
];
const CI_NAMES = [
  "ci/npm-token",
  "ci/docker-user",
  "ci/docker-password",
  "ci/deploy-key",
  "ci/signing-key",
  "ci/slack-webhook",
  "ci/sonar-token",
  "ci/codecov-token",
];
const ACME_ALL = [...APP_NAMES, ...CI_NAMES, ...Array.from({ length: 10 }, (_, i) => `ops/cert-${i}`)];

/** Every access of one day (`day` 0 is a Monday), sorted by time. */
export function normalDay(day: number, seed = 1): Access[] {
  const r = prng(seed * 1000 + day);
  const start = Date.UTC(2026, 10, 2) + day * DAY;
  const weekday = day % 7 < 5;
  const out: Access[] = [];
  const add = (t: number, principal: string, tenant: string, name: string | undefined, denied = false) =>
    out.push({ t: Math.floor(t), principal, tenant, name, denied });
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

  // web-app: a Poisson-like stream, 1 read every ~45 s at night, every ~20 s in business hours.
  for (let t = start; t < start + DAY; ) {
    const h = new Date(t).getUTCHours();
    const mean = h >= 8 && h < 19 ? 20_000 : 45_000;
    t += -Math.log(1 - r()) * mean;
    if (t < start + DAY) add(t, "web-app", "acme", pick(APP_NAMES));
  }
  for (let i = 0; i < APP_NAMES.length; i++) add(start + 10 * HOUR + i * 4_000, "web-app", "acme", APP_NAMES[i]);

  if (weekday) {
    const runs = 6 + Math.floor(r() * 10);
    for (let k = 0; k < runs; k++) {
      const t = start + 7 * HOUR + r() * 13 * HOUR;
      const tenant = r() < 0.7 ? "acme" : "globex";
      for (const [i, n] of CI_NAMES.entries()) add(t + i * 3_000, "ci", tenant, n);
    }
    const tenants = day % 2 === 0 ? ["acme", "globex", "initech"] : ["acme", "globex"];
    for (let k = 0; k < 8 + Math.floor(r() * 10); k++) {
      const t = start + 9 * HOUR + r() * 9 * HOUR;
      const tenant = pick(tenants);
      add(t, "alice", tenant, r() < 0.2 ? undefined : pick(APP_NAMES), false);
      if (r() < 0.15) add(t + 5_000, "alice", tenant, "ops/root-password", true);
    }
  }
  for (const [i, n] of ACME_ALL.entries()) add(start + 2 * HOUR + i * 4_000, "backup", "acme", n);
  for (let h = 0; h < 24; h++)
    for (const [i, n] of ["DATABASE_URL", "REDIS_URL", "JWT_SECRET"].entries()) add(start + h * HOUR + 5 * 60_000 + i * 1_000, "rotator", "acme", n);

  return out.sort((a, b) => a.t - b.t);
}
