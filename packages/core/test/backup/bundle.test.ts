import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IntegrityError, backupSigner, checkBundleSelfSigned, createBackup, openBundle, parseHeader, verifyWithPublicKey } from "../../src/index.js";
import { caught } from "../rotation/support.js";
import { CANARY, leaks, populated } from "./helpers.js";

describe("backup signing key", () => {
  it("is derived from the master key: same key, same signer; another key, another signer", () => {
    const k = randomBytes(32);
    const a = backupSigner(k);
    expect(backupSigner(Buffer.from(k)).publicKey.equals(a.publicKey)).toBe(true);
    expect(backupSigner(randomBytes(32)).publicKey.equals(a.publicKey)).toBe(false);
    const sig = a.sign(Buffer.from("hello"));
    expect(a.verify(Buffer.from("hello"), sig)).toBe(true);
    expect(a.verify(Buffer.from("hellp"), sig)).toBe(false);
    expect(verifyWithPublicKey(a.publicKey, Buffer.from("hello"), sig)).toBe(true);
    expect(a.verify(Buffer.from("hello"), sig.subarray(0, 63))).toBe(false);
  });
});

describe("backup bundle", () => {
  it("holds every version oldest first, as the stored envelope bytes, with metadata and the keyring; no value in clear", async () => {
    const p = await populated(6);
    const lines = p.bytes.toString("utf8").split("\n");
    expect(lines.length).toBe(1 + 6 + 1 + 1); // header, secrets, trailer, final empty
    const header = JSON.parse(lines[0] as string);
    expect(header).toMatchObject({ format: "polyvault-backup/v1", tenant: "acme", source: { provider: "mem", type: "file" }, secrets: 6, versions: 12 });
    expect(header.signingKey).toBe(p.signer.publicKey.toString("base64"));
    expect(header.keyring.versions).toHaveLength(1);
    const bundle = openBundle(p.bytes, p.signer);
    const s2 = bundle.secrets[2];
    expect(s2?.name).toBe("app/s002");
    expect(s2?.versions.map((v) => v.revision)).toEqual([1, 2, 3]);
    const stored = await p.provider.get(p.tenant, "app/s002", { version: "1" });
    expect(s2?.versions[0]?.ciphertext.equals(stored.value)).toBe(true);
    expect(parseHeader(s2?.versions[0]?.ciphertext as Buffer).revision).toBe(1);
    expect(s2?.versions[2]?.metadata).toMatchObject({
      "pv-rev": "3",
      "pv-kv": "1",
      "pv-enc": "envelope",
      "pv-labels": `b64:${Buffer.from('{"team":"core"}').toString("base64url")}`,
    });
    expect(s2?.versions[2]?.metadata["pv-digest"]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(leaks(p.bytes)).toBe(false);
  });

  it("leaves out (and reports) a secret whose stored bytes are not a Polyvault envelope, rather than copy a value in clear", async () => {
    const p = await populated(2);
    p.provider.tamper("acme", "app/s001", Buffer.from(`${CANARY}-plain`));
    const { bytes, summary } = await createBackup({
      tenant: p.tenant,
      provider: p.provider,
      keyringPath: join(p.dataDir, "keys", "keyring.json"),
      signer: p.signer,
    });
    expect(summary.secrets).toBe(1);
    expect(summary.skipped).toEqual([{ name: "app/s001", reason: "not a Polyvault ciphertext" }]);
    expect(leaks(bytes)).toBe(false);
  });

  it("refuses a bundle with any byte flipped, truncated or extended, naming no value", async () => {
    const p = await populated(4);
    for (let i = 0; i < p.bytes.length; i += 53) {
      const bad = Buffer.from(p.bytes);
      bad[i] = (bad[i] as number) ^ 0x01;
      const err = await caught(() => openBundle(bad, p.signer));
      expect(err, `byte ${i}`).toBeInstanceOf(IntegrityError);
      expect(leaks(err.message)).toBe(false);
    }
    const cut = p.bytes.subarray(0, p.bytes.indexOf("\n", 10) + 1);
    expect((await caught(() => openBundle(cut, p.signer))).message).toBe("not a Polyvault backup bundle, or damaged: its last line is not a signature");
    const trailerAt = p.bytes.lastIndexOf(0x0a, p.bytes.length - 2) + 1;
    const dropped = Buffer.concat([p.bytes.subarray(0, p.bytes.lastIndexOf(0x0a, trailerAt - 2) + 1), p.bytes.subarray(trailerAt)]);
    expect((await caught(() => openBundle(dropped, p.signer))).message).toBe("backup bundle signature does not verify: the bundle was altered or truncated");
    expect((await caught(() => openBundle(Buffer.from("hello\n"), p.signer))).message).toBe(
      "not a Polyvault backup bundle, or damaged: its last line is not a signature",
    );
    expect((await caught(() => openBundle(Buffer.alloc(0), p.signer))).message).toBe(
      "not a Polyvault backup bundle, or damaged: it does not end with a newline",
    );
  });

  it("refuses a bundle signed under another master key, saying so", async () => {
    const p = await populated(1);
    const err = await caught(() => openBundle(p.bytes, backupSigner(randomBytes(32))));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toBe("backup bundle signature does not verify: it was signed under another master key (or its header was altered)");
  });

  it("can be checked for damage without the master key, against the key written in it", async () => {
    const p = await populated(2);
    expect(checkBundleSelfSigned(p.bytes).header.secrets).toBe(2);
    const bad = Buffer.from(p.bytes);
    bad[300] = (bad[300] as number) ^ 0x20;
    expect(await caught(() => checkBundleSelfSigned(bad))).toBeInstanceOf(IntegrityError);
  });

  it("a correctly signed body whose counts do not add up is still refused", async () => {
    const p = await populated(2);
    const lines = p.bytes.toString("utf8").split("\n");
    const header = JSON.parse(lines[0] as string);
    header.secrets = 3;
    const body = Buffer.from(`${JSON.stringify(header)}\n${lines[1]}\n${lines[2]}\n`);
    const forged = Buffer.concat([body, Buffer.from(`${JSON.stringify({ signature: p.signer.sign(body).toString("base64") })}\n`)]);
    expect((await caught(() => openBundle(forged, p.signer))).message).toBe(
      "backup bundle is damaged: the header announces 3 secrets and 3 versions, the body holds 2 and 3",
    );
  });
});
