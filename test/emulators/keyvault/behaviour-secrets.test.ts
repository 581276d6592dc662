/**
 * Key Vault behaviour, part 1: secrets and their versions, as the REST reference and "About Azure Key
 * Vault secrets" document them. Written against the official SDK (raw HTTPS where the SDK hides the
 * answer), it runs in `npm test` against the project's test Key Vault and, unchanged, against any vault
 * POLYVAULT_TEST_AZURE_URL names. docs/testing.md maps each test to the documentation it follows.
 */
import { describe, expect, it } from "vitest";
import { errorOf } from "./raw.js";
import { client, failure, raw, run, suiteNames } from "./target.js";

const name = suiteNames();

describe("Key Vault secrets: set, get, versions, update, list", () => {
  it("set creates a version with a 32-hex id; get returns the latest or the version asked for", async () => {
    const n = name("versions");
    const v1 = await client.setSecret(n, "first", { contentType: "text/plain" });
    const v2 = await client.setSecret(n, "second");
    for (const v of [v1, v2]) expect(v.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(v1.properties.version).not.toBe(v2.properties.version);
    expect((await client.getSecret(n)).value).toBe("second");
    const old = await client.getSecret(n, { version: v1.properties.version as string });
    expect([old.value, old.properties.contentType]).toEqual(["first", "text/plain"]);
    // Attributes come back as the service keeps them: enabled, created/updated, the vault's recovery level.
    expect(v2.properties.enabled).toBe(true);
    expect(v2.properties.createdOn).toBeInstanceOf(Date);
    expect(v2.properties.recoveryLevel).toMatch(/Recoverable|Purgeable/);
  });

  it("compares names case-insensitively: one secret whatever the case of the request", async () => {
    const n = name("CaseName");
    await client.setSecret(n, "upper");
    expect((await client.getSecret(n.toLowerCase())).value).toBe("upper");
    await client.setSecret(n.toUpperCase(), "again");
    const versions = [];
    for await (const v of client.listPropertiesOfSecretVersions(n.toLowerCase())) versions.push(v.version);
    expect(versions).toHaveLength(2);
  });

  it("a version id that is not one of the secret's (or not 32 hex digits) is 404 SecretNotFound", async () => {
    const n = name("noversion");
    await client.setSecret(n, "v");
    for (const v of ["0123456789abcdef0123456789abcdef", "not-a-version"]) {
      const a = await raw("GET", `/secrets/${n}/${v}`);
      expect([a.status, errorOf(a).code]).toEqual([404, "SecretNotFound"]);
    }
    const missing = await raw("GET", `/secrets/${run}-never-set`);
    expect([missing.status, errorOf(missing).code]).toEqual([404, "SecretNotFound"]);
  });

  it("names must match ^[0-9a-zA-Z-]{1,127}$: 127 characters are accepted, 128 and other characters are 400", async () => {
    const long = name("x".repeat(126 - run.length)); // `${run}-` and x's: 127 characters
    expect((await raw("PUT", `/secrets/${long}`, { body: { value: "v" } })).status).toBe(200);
    for (const bad of [`${long}x`, `${run}_under`, `${run}.dot`]) {
      const a = await raw("PUT", `/secrets/${encodeURIComponent(bad)}`, { body: { value: "v" } });
      expect([a.status, errorOf(a).code], bad).toEqual([400, "BadParameter"]);
    }
  });

  it("a value of 25,600 bytes is stored; one byte more is refused with 400 and nothing is written", async () => {
    const n = name("size");
    const max = await raw("PUT", `/secrets/${n}`, { body: { value: "x".repeat(25_600) } });
    expect(max.status).toBe(200);
    const over = await raw("PUT", `/secrets/${n}`, { body: { value: "y".repeat(25_601) } });
    expect([over.status, errorOf(over).code]).toEqual([400, "BadParameter"]);
    expect((await client.getSecret(n)).value).toBe("x".repeat(25_600));
  });

  it("15 tags with 256-character values are stored; a 16th tag or a 257-character value is 400", async () => {
    const n = name("tags");
    const tags = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`t${i}`, "v".repeat(256)]));
    expect((await client.setSecret(n, "v", { tags })).properties.tags).toEqual(tags);
    for (const bad of [{ ...tags, t15: "v" }, { t0: "v".repeat(257) }]) {
      const a = await raw("PUT", `/secrets/${n}`, { body: { value: "w", tags: bad } });
      expect([a.status, errorOf(a).code]).toEqual([400, "BadParameter"]);
    }
    const ct = await raw("PUT", `/secrets/${n}`, { body: { value: "w", contentType: "c".repeat(256) } });
    expect([ct.status, errorOf(ct).code]).toEqual([400, "BadParameter"]);
    expect((await client.getSecret(n)).value).toBe("v");
  });

  it("a disabled secret's value is refused with 403 Forbidden; it is still listed, and re-enabling serves it again", async () => {
    const n = name("disabled");
    const v1 = await client.setSecret(n, "one");
    const v2 = await client.setSecret(n, "two");
    await client.updateSecretProperties(n, v2.properties.version as string, { enabled: false });
    const e = await failure(client.getSecret(n));
    expect([e.statusCode, e.code, e.message]).toEqual([403, "Forbidden", "Operation get is not allowed on a disabled secret."]);
    expect((await client.getSecret(n, { version: v1.properties.version as string })).value).toBe("one");
    const listed = [];
    for await (const p of client.listPropertiesOfSecrets()) if (p.name === n) listed.push(p.enabled);
    expect(listed).toEqual([false]);
    await client.updateSecretProperties(n, v2.properties.version as string, { enabled: true });
    expect((await client.getSecret(n)).value).toBe("two");
  });

  it("nbf and exp are kept and informational: a not-yet-valid or expired secret is still returned", async () => {
    const n = name("dates");
    const nbf = new Date(Date.now() + 86_400_000);
    const exp = new Date(Date.now() - 86_400_000);
    await client.setSecret(n, "future", { notBefore: nbf });
    const got = await client.getSecret(n);
    expect([got.value, Math.floor((got.properties.notBefore as Date).getTime() / 1000)]).toEqual(["future", Math.floor(nbf.getTime() / 1000)]);
    await client.setSecret(n, "past", { notBefore: new Date(Date.now() - 2 * 86_400_000), expiresOn: exp });
    expect((await client.getSecret(n)).value).toBe("past");
  });

  it("update changes attributes, tags and content type, never the value", async () => {
    const n = name("update");
    const s = await client.setSecret(n, "kept", { tags: { a: "1" } });
    const u = await client.updateSecretProperties(n, s.properties.version as string, { tags: { b: "2" }, contentType: "application/json" });
    expect([u.tags, u.contentType]).toEqual([{ b: "2" }, "application/json"]);
    expect((await client.getSecret(n)).value).toBe("kept");
  });

  it("lists secrets and versions in pages of maxresults, continued by nextLink, each exactly once", async () => {
    const mine = Array.from({ length: 7 }, (_, i) => name(`page${i}`));
    for (const n of mine) await client.setSecret(n, "v");
    // Small pages: each at most maxresults, none repeating another (the first pages of a shared vault).
    const paged: string[] = [];
    let pages = 0;
    for await (const p of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) {
      expect(p.length).toBeLessThanOrEqual(2);
      paged.push(...p.map((s) => s.name.toLowerCase()));
      if (++pages === 6) break;
    }
    expect(pages).toBe(6);
    expect(new Set(paged).size).toBe(paged.length);
    // The whole listing, followed to its end: each of this run's secrets exactly once.
    const seen: string[] = [];
    for await (const s of client.listPropertiesOfSecrets()) if (mine.includes(s.name)) seen.push(s.name);
    expect(seen.sort()).toEqual([...mine].sort());
    const n = mine[0] as string;
    await client.setSecret(n, "v2");
    await client.setSecret(n, "v3");
    const versions: string[] = [];
    for await (const p of client.listPropertiesOfSecretVersions(n).byPage({ maxPageSize: 1 })) {
      expect(p.length).toBe(1);
      versions.push(...p.map((v) => v.version as string));
    }
    expect(new Set(versions).size).toBe(3);
    // A listing carries no value.
    const page = await raw("GET", "/secrets?maxresults=1");
    expect(page.text).not.toContain('"value":"v"');
    for (const m of ["0", "26"]) expect((await raw("GET", `/secrets?maxresults=${m}`)).status).toBe(400);
  });
});
