// CLI acceptance against the real provider servers (docs/testing.md: moto for AWS, Lowkey Vault for Azure,
// a Vault/OpenBao dev server for Vault). `npm test` starts them (test/run-tests.mjs); to run this file
// alone, start them first: `node test/emulators/cli.mjs up && npx vitest run test/e2e/providers-cli.test.ts`.
// Each run uses tenants of its own, so runs against a long-lived server never see each other.
//
// A provider whose server cannot be installed on this machine (run-tests.mjs sets
// POLYVAULT_TEST_<NAME>_UNAVAILABLE) is reported as NOT RUN with the reason, never passed silently.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azureNameTests } from "./azure-names.js";
import { CliSandbox, SLOW } from "../harness/cli.js";
import { cliEnv } from "./endpoints.js";
import { lifecycleTests } from "./lifecycle.js";
import { ownershipTests } from "./ownership.js";
import { configFor, makeTargets } from "./targets.js";
import { unreachableTests } from "./unreachable.js";

const run = `e2e${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
const targets = makeTargets(run);
const sb = new CliSandbox({ prefix: "e2e", env: cliEnv() });
const sandbox = () => sb;

describe("polyvault CLI against the provider servers", () => {
  beforeAll(async () => {
    sb.writeConfig(configFor(targets));
    const init = await sb.run(["init"]);
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(() => {
    // Values went to the providers, encrypted: none may sit in the data directory, in any form.
    expect(sb.filesWithCanaries()).toEqual([]);
  });

  for (const t of targets) {
    const suite = t.notRun ? describe.skip : describe;
    suite(t.notRun ? `${t.provider} — NOT RUN: ${t.notRun}` : `${t.provider} at ${t.endpoint}, tenant ${t.tenant}`, () => {
      describe("secrets set/get/list/versions/delete", () => lifecycleTests(sandbox, t));
      describe("secrets that something else created", () => ownershipTests(sandbox, t));
      if (t.provider === "azure") describe("names Azure folds together", () => azureNameTests(sandbox, t));
    });
  }

  it("keeps each tenant's secrets on its own provider", SLOW, async () => {
    const live = targets.filter((t) => !t.notRun);
    const value = sb.canary();
    for (const t of live) {
      const r = await sb.run(["secrets", "set", "shared/name", "--tenant", t.tenant, "--value-stdin"], { input: value });
      expect(r.code, `${t.provider}: ${r.stderr}`).toBe(0);
    }
    for (const t of live) {
      const r = await sb.run(["secrets", "get", "shared/name", "--tenant", t.tenant, "--json"], { allow: value });
      expect(r.code, `${t.provider}: ${r.stderr}`).toBe(0);
      const got = JSON.parse(r.out);
      expect([got.servedBy, got.value]).toEqual([t.provider, value.toString()]);
      expect((await t.raw().read(t.nativeName("shared/name")))?.deleted).toBe(false);
      expect((await sb.run(["secrets", "delete", "shared/name", "--tenant", t.tenant, "--purge"])).code).toBe(0);
    }
  });
});

describe("polyvault CLI when a provider endpoint is dead", () => {
  unreachableTests();
});
