/**
 * `polyvault demo`: a tour of the main job on the embedded default, in a temporary data directory:
 * two tenants, set/get, isolation and tamper detection, rotation, key rotation and rewrap, sync, drift,
 * failover, and the scheduled jobs (key rotation, verified backups, a restore drill).
 */
import { cp, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { IntegrityError, NotFoundError, SecretManager, initMasterKey, keyUsage, readBundle, spotifyBundle } from "@polyvault/core";
import { Runtime, keysRewrap, keysRotate, sumOf, syncApply, syncPlan } from "@polyvault/runtime";
import type { Runner } from "../main.js";
import { demoJobs } from "./demo-jobs.js";
import { EXIT } from "../exit-codes.js";

export function registerDemo(program: Command, run: Runner): void {
  program
    .command("demo")
    .description("a guided tour: tenants, encryption, rotation, keys, sync, drift and failover (temporary data directory, no server needed)")
    .option("--keep", "keep the temporary data directory and print its path")
    .action(
      run(async (ctx, opts: { keep?: boolean }) => {
        const steps: Array<{ step: string; result: string }> = [];
        const say = (step: string, result: string) => {
          steps.push({ step, result });
          ctx.out.note(`• ${step}\n    ${result}`);
        };
        const dataDir = await mkdtemp(join(tmpdir(), "polyvault-demo-"));
        try {
          const mk = await initMasterKey(dataDir);
          mk.key.fill(0);
          say("init", `data directory ${dataDir} with a random master key (keys/master.key, mode 0600)`);
          // Two file providers and a route between them: the main job (mirroring, failover) with no server.
          const config = {
            providers: { local: { type: "file" as const }, mirror: { type: "file" as const, dir: join(dataDir, "mirror-store") } },
            tenants: { acme: { primary: "local", mirrors: ["mirror"] } },
            routes: { "acme-mirror": { source: "local", targets: ["mirror"], tenants: ["acme"], prune: true, conflict: "source-wins" as const } },
            // Scheduled jobs (docs/scheduled-jobs.md): key rotation every 90 days, a verified nightly backup.
            keys: { rotateEvery: "90d" },
            backups: { schedule: "0 3 * * *", dir: join(dataDir, "backups"), keep: 7 },
          };
          const rt = await Runtime.open({ dataDir, config, env: {}, pushOnWrite: false });
          try {
            const acme = rt.manager("acme");
            const globex = rt.manager("globex");
            await acme.set("DATABASE_URL", "postgresql://app:demo-password@db.acme.internal:5432/app");
            await acme.set("SPOTIFY_CLIENT_ID", "acme-client-id");
            await acme.set("SPOTIFY_CLIENT_SECRET", "acme-client-secret");
            await acme.set("SPOTIFY_REDIRECT_URI", "http://localhost:8000/callback");
            await globex.set("JWT_SECRET_KEY", "globex-initial-signing-key");
            say("secrets set", "acme: DATABASE_URL and three SPOTIFY_* secrets; globex: JWT_SECRET_KEY — each encrypted under its tenant's own key");

            const db = await acme.get("DATABASE_URL");
            say("secrets get", `acme/DATABASE_URL → version ${db.version}, ${db.bytes().length} bytes, served by ${db.servedBy}`);
            db.wipe();

            try {
              await globex.get("DATABASE_URL");
            } catch (err) {
              if (!(err instanceof NotFoundError)) throw err;
              say("isolation", "globex asking for DATABASE_URL → not found: tenants never see each other's secrets");
            }

            // Someone with access to the store copies acme's ciphertext over globex's secret.
            const store = join(dataDir, "store");
            const victim = join(store, "globex", "s", "JWT_SECRET_KEY", "v0000000001.pv");
            await cp(victim, `${victim}.orig`);
            await cp(join(store, "acme", "s", "DATABASE_URL", "v0000000001.pv"), victim);
            try {
              await globex.get("JWT_SECRET_KEY");
            } catch (err) {
              if (!(err instanceof IntegrityError)) throw err;
              say("tamper detection", `acme's stored file copied over globex/JWT_SECRET_KEY → refused: ${err.message}`);
            }
            await rename(`${victim}.orig`, victim);

            const rotated = await globex.rotate("JWT_SECRET_KEY", { generate: { length: 48 } });
            say("secrets rotate", `globex/JWT_SECRET_KEY rotated to version ${rotated.version} with a generated 48-character value`);

            const creds = await readBundle(acme, spotifyBundle);
            say("credentials spotify", `acme → client_id ${creds.client_id}, redirect_uri ${creds.redirect_uri} (client_secret withheld here)`);

            // Key management and sync through the runtime's operations (authorized and audited, as on the CLI).
            const { current: kv } = await keysRotate(rt);
            say("keys rotate", `key version ${kv} is now current; existing secrets are still under version 1`);
            const primary = rt.placement(acme.tenant).primary;
            const rewrapped = sumOf((await keysRewrap(rt)).tenants, "versionsRewrapped");
            const left = [...(await keyUsage(acme.tenant, primary)).entries()].map(([v, n]) => `v${v}: ${n}`).join(", ");
            say("keys rewrap", `${rewrapped} stored version(s) re-encrypted under key version ${kv}; acme's versions by key: ${left}`);
            const again = await acme.get("DATABASE_URL");
            say("read after rewrap", `acme/DATABASE_URL still reads (version ${again.version}, key version ${again.keyVersion})`);
            again.wipe();

            const plan = await syncPlan(rt);
            say(
              "sync plan",
              `route acme-mirror (local → mirror): ${plan.summary.create} to create, ${plan.summary.noop} in sync — the plan lists names and actions, never values`,
            );
            const [first] = await syncApply(rt);
            say("sync apply", `${first?.result?.counts.created} secret(s) copied to the mirror as ciphertext (the mirror never sees a key)`);
            const onMirror = new SecretManager({ tenant: acme.tenant, keyring: rt.keyring, primary: rt.provider("mirror") });
            await onMirror.set("SPOTIFY_CLIENT_ID", "edited-directly-in-the-mirror");
            const drift = (await syncPlan(rt)).actions.filter((a) => a.action !== "noop");
            say("drift", `someone edits SPOTIFY_CLIENT_ID in the mirror → the plan shows ${drift.map((a) => `${a.name}: ${a.action}`).join(", ")}`);
            const [repair] = await syncApply(rt);
            say("drift repaired", `${repair?.result?.counts.repaired} secret(s) repaired (conflict policy source-wins); the mirror matches again`);

            await rename(store, `${store}.offline`);
            await writeFile(store, "");
            try {
              const t0 = performance.now();
              const failover = await rt.manager("acme").get("DATABASE_URL");
              say(
                "failover read",
                `the primary's store is unreachable → DATABASE_URL served by ${failover.servedBy} (stale: ${failover.stale}) in ${Math.round(performance.now() - t0)} ms`,
              );
              failover.wipe();
            } finally {
              await rm(store, { force: true });
              await rename(`${store}.offline`, store);
            }
            await demoJobs(rt, say);
          } finally {
            await rt.close();
          }
        } finally {
          if (opts.keep) ctx.out.note(`data directory kept: ${dataDir}`);
          else await rm(dataDir, { recursive: true, force: true });
        }
        ctx.out.result(
          { steps, dataDir: opts.keep ? dataDir : undefined },
          () => "demo finished: every step above ran against a real encrypted store on this disk",
        );
        return EXIT.OK;
      }),
    );
}
