import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { initMasterKey } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import { SecretLoader, getSecretManager, getSpotifyCredentials, loadEnvironmentSecrets } from "../src/index.js";

async function freshOptions() {
  const dataDir = mkdtempSync(join(tmpdir(), "pv-api-"));
  const env = { POLYVAULT_MASTER_KEY: randomBytes(32).toString("base64") };
  return { dataDir, env, config: { providers: { local: { type: "file" as const } } } };
}

describe("library API (the original system's entry points)", () => {
  it("loadEnvironmentSecrets, getSecretManager and getSpotifyCredentials", async () => {
    const options = await freshOptions();
    const envFile = join(options.dataDir, ".env");
    writeFileSync(envFile, "SPOTIFY_CLIENT_ID=id1\nSPOTIFY_CLIENT_SECRET=sec1\nSPOTIFY_REDIRECT_URI=http://localhost:8000/callback\n");
    expect(await loadEnvironmentSecrets("tenant_123", envFile, options)).toEqual(["SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"]);
    const manager = await getSecretManager("tenant_123", options);
    expect((await manager.get("SPOTIFY_CLIENT_ID")).text()).toBe("id1");
    expect(await getSpotifyCredentials("tenant_123", options)).toEqual({
      client_id: "id1",
      client_secret: "sec1",
      redirect_uri: "http://localhost:8000/callback",
    });
  });

  it("secureContext wipes every Buffer it handed out when it closes", async () => {
    const options = await freshOptions();
    const manager = await getSecretManager("t", options);
    await manager.set("API_KEY", "k-123");
    await manager.set("OTHER", Buffer.from([1, 2, 3]));
    const ctx = await new SecretLoader("t", options).secureContext();
    const a = await ctx.get("API_KEY");
    const b = await ctx.get("OTHER");
    const bytesA = a.bytes();
    const bytesB = b.bytes();
    expect(bytesA.toString()).toBe("k-123");
    await ctx[Symbol.asyncDispose]();
    expect(bytesA.every((x) => x === 0)).toBe(true);
    expect(bytesB.every((x) => x === 0)).toBe(true);
    expect(() => a.text()).toThrow(/wiped when its context closed/);
    await expect(ctx.get("API_KEY")).rejects.toThrow(/closed/);
  });

  it("a SecretValue never prints its value", async () => {
    const options = await freshOptions();
    const manager = await getSecretManager("t", options);
    await manager.set("PRINT_ME", "do-not-print-42");
    const v = await manager.get("PRINT_ME");
    expect(JSON.stringify(v)).not.toContain("do-not-print-42");
    expect(String(v)).not.toContain("do-not-print-42");
    expect(inspect(v)).not.toContain("do-not-print-42");
  });

  it("refuses to start without a master key, naming how to make one", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pv-api-nokey-"));
    await expect(getSecretManager("t", { dataDir, env: {}, config: { providers: { local: { type: "file" } } } })).rejects.toThrow(
      /no master key: set \$POLYVAULT_MASTER_KEY, or create one with `polyvault init`/,
    );
    await initMasterKey(dataDir);
    await expect(getSecretManager("t", { dataDir, env: {}, config: { providers: { local: { type: "file" } } } })).resolves.toBeDefined();
  });
});
