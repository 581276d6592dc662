/**
 * Key Vault behaviour, part 2: authentication, api-versions, soft delete (delete, deleted state, recover,
 * purge) and backup/restore, as the REST reference and "Azure Key Vault soft-delete overview" document
 * them. Same rules as part 1: the official SDK, raw HTTPS where it hides the answer, and it runs
 * unchanged against any vault POLYVAULT_TEST_AZURE_URL names.
 */
import { describe, expect, it } from "vitest";
import { errorOf } from "./raw.js";
import { client, eventually, failure, raw, remove, run, statusOf, suiteNames } from "./target.js";

const name = suiteNames();

describe("Key Vault authentication and api-versions", () => {
  it("a request without a bearer token gets 401 and the challenge the SDK parses (tenant authority, vault resource)", async () => {
    for (const auth of [false, "Basic dXNlcjpwYXNz", "Bearer"] as const) {
      const a = await raw("GET", "/secrets", { auth });
      expect([a.status, errorOf(a).code], String(auth)).toEqual([401, "Unauthorized"]);
      // The form @azure/keyvault-common's challenge policy parses: authority with the tenant, and the resource.
      expect(String(a.headers["www-authenticate"])).toMatch(
        /^Bearer authorization="https:\/\/login\.(microsoftonline\.com|windows\.net)\/[0-9a-f-]{36}", resource="https:\/\/vault\.azure\.net"$/,
      );
    }
    // Nothing is done for a request refused at the door.
    const put = await raw("PUT", `/secrets/${run}-refused`, { auth: false, body: { value: "v" } });
    expect(put.status).toBe(401);
    expect((await raw("GET", `/secrets/${run}-refused`)).status).toBe(404);
  });

  it("accepts every api-version the pinned SDK sends and refuses others with 400 BadParameter", async () => {
    for (const v of ["7.5", "7.6-preview.2", "7.6", "2025-07-01"]) expect((await raw("GET", "/secrets?maxresults=1", { apiVersion: v })).status, v).toBe(200);
    const unknown = await raw("GET", "/secrets", { apiVersion: "7.99" });
    expect([unknown.status, errorOf(unknown).code]).toEqual([400, "BadParameter"]);
    expect(errorOf(unknown).message).toMatch(/not recognized/);
    expect((await raw("GET", "/secrets", { apiVersion: null })).status).toBe(400);
  });
});

describe("Key Vault soft delete and backup", () => {
  it("delete: the secret leaves the vault, is listed and readable as deleted, with its recovery level and purge date", async () => {
    const n = name("softdel");
    await client.setSecret(n, "keep me");
    const deleted = await (await client.beginDeleteSecret(n, { intervalInMs: 100 })).pollUntilDone();
    expect(deleted.recoveryId).toMatch(new RegExp(`/deletedsecrets/${n}$`, "i"));
    expect(deleted.properties.recoverableDays).toBeGreaterThanOrEqual(7);
    expect(deleted.properties.recoverableDays).toBeLessThanOrEqual(90);
    const days = ((deleted.scheduledPurgeDate as Date).getTime() - (deleted.deletedOn as Date).getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(deleted.properties.recoverableDays);
    expect(statusOf(await failure(client.getSecret(n)))).toBe(404);
    expect((await client.getDeletedSecret(n)).name.toLowerCase()).toBe(n.toLowerCase());
    const listed = [];
    for await (const d of client.listDeletedSecrets()) if (d.name === n) listed.push(d.name);
    expect(listed).toEqual([n]);
  });

  it("a name in the deleted state cannot be set (409 Conflict) until it is recovered or purged", async () => {
    const n = name("conflict");
    await client.setSecret(n, "original");
    await (await client.beginDeleteSecret(n, { intervalInMs: 100 })).pollUntilDone();
    const a = await raw("PUT", `/secrets/${n.toUpperCase()}`, { body: { value: "new" } });
    expect([a.status, errorOf(a).code, errorOf(a).innererror?.code]).toEqual([409, "Conflict", "ObjectIsDeletedButRecoverable"]);
    await (await client.beginRecoverDeletedSecret(n, { intervalInMs: 100 })).pollUntilDone();
    expect((await client.getSecret(n)).value).toBe("original");
  });

  it("while a delete is in progress the secret is gone and its name still taken (409); the SDK's poller waits it out", async () => {
    const n = name("inflight");
    await client.setSecret(n, "v");
    expect((await raw("DELETE", `/secrets/${n}`)).status).toBe(200);
    expect((await raw("GET", `/secrets/${n}`)).status).toBe(404);
    const again = await raw("PUT", `/secrets/${n}`, { body: { value: "w" } });
    expect(again.status).toBe(409);
    expect(["ObjectIsBeingDeleted", "ObjectIsDeletedButRecoverable"]).toContain(errorOf(again).innererror?.code);
    await eventually(async () => (await raw("GET", `/deletedsecrets/${n}`)).status === 200);
  });

  it("purge removes the deleted secret for good; the name can then be set afresh, with one version", async () => {
    const n = name("purge");
    await client.setSecret(n, "a");
    await client.setSecret(n, "b");
    await (await client.beginDeleteSecret(n, { intervalInMs: 100 })).pollUntilDone();
    await client.purgeDeletedSecret(n);
    expect(statusOf(await failure(client.getDeletedSecret(n)))).toBe(404);
    await eventually(async () => (await raw("PUT", `/secrets/${n}`, { body: { value: "fresh" } })).status === 200);
    const versions = [];
    for await (const v of client.listPropertiesOfSecretVersions(n)) versions.push(v.version);
    expect(versions).toHaveLength(1);
  });

  it("recover of a name that is not deleted, and purge of one that is active, are 404", async () => {
    const n = name("notdeleted");
    await client.setSecret(n, "v");
    expect((await raw("POST", `/deletedsecrets/${n}/recover`)).status).toBe(404);
    expect((await raw("DELETE", `/deletedsecrets/${n}`)).status).toBe(404);
    expect((await client.getSecret(n)).value).toBe("v");
  });

  it("backup then restore brings back every version; a restore over an existing name is 409; a corrupt blob is 400", async () => {
    const n = name("backup");
    const v1 = await client.setSecret(n, "one", { tags: { k: "v" } });
    await client.setSecret(n, "two");
    const blob = (await client.backupSecret(n)) as Uint8Array;
    expect(Buffer.from(blob).toString("latin1")).not.toContain("two");
    expect((await raw("POST", "/secrets/restore", { body: { value: Buffer.from(blob).toString("base64url") } })).status).toBe(409);
    await remove(n);
    await eventually(async () => {
      try {
        await client.restoreSecretBackup(blob);
        return true;
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
        return false; // the purge is still completing
      }
    });
    expect((await client.getSecret(n)).value).toBe("two");
    const old = await client.getSecret(n, { version: v1.properties.version as string });
    expect([old.value, old.properties.tags]).toEqual(["one", { k: "v" }]);
    const bad = Buffer.from(blob);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    const a = await raw("POST", "/secrets/restore", { body: { value: bad.toString("base64url") } });
    expect([a.status, errorOf(a).code]).toEqual([400, "BadParameter"]);
  });
});
