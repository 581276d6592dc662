/**
 * Issue 15.1 / 15.12: nothing an attacker writes into the data directory without the key changes what a
 * read returns or which checks run. Each case edits the file store as that attacker would.
 */
import { chmodSync, copyFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, sandbox } from "../../../test/harness/cli.js";
import { readVersion, tamper, versionPath } from "./tamper-helpers.js";

describe("stored metadata cannot change what a read returns", () => {
  const sb = sandbox();
  const file = (name: string, rev = 1) => versionPath(sb.home, "acme", name, rev);
  const set = (name: string, value: string) => expect(cli(sb, ["secrets", "set", name, "--tenant", "acme", "--value-stdin"], value).code).toBe(0);
  const get = (name: string, ...extra: string[]) => cli(sb, ["secrets", "get", name, "--tenant", "acme", ...extra]);
  beforeAll(() => expect(cli(sb, ["init"]).code).toBe(0));

  it("a header rewritten to pv-enc: native with the attacker's bytes is refused (exit 6), not served", () => {
    set("db", "the-real-password");
    tamper(file("db"), (v) => ({
      header: { ...v.header, metadata: { ...(v.header.metadata as object), "pv-enc": "native" } },
      value: Buffer.from("attacker-chosen"),
    }));
    const plain = get("db");
    expect(plain.code).toBe(6);
    expect(plain.stdout.length).toBe(0);
    expect(plain.stderr).toMatch(/^polyvault: INTEGRITY: /);
    const json = get("db", "--json");
    expect(json.code).toBe(6);
    expect(JSON.parse(json.out).error.code).toBe("INTEGRITY");
    for (const text of [plain.stderr, json.out, json.stderr]) expect(text).not.toContain("attacker-chosen");
  });

  it("pv-enc: native on an intact envelope changes nothing: the value is still decrypted and checked", () => {
    set("api", "api-value");
    tamper(file("api"), (v) => ({ header: { ...v.header, metadata: { ...(v.header.metadata as object), "pv-enc": "native" } }, value: v.value }));
    const r = get("api");
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toBe("api-value");
  });

  it("dropping pv-rev does not switch off the revision check: an older envelope in the current slot is refused", () => {
    set("roll", "old-value");
    set("roll", "new-value");
    const old = readVersion(file("roll", 1)).value;
    tamper(file("roll", 2), (v) => {
      const { "pv-rev": _rev, ...metadata } = v.header.metadata as Record<string, string>;
      return { header: { ...v.header, metadata }, value: old };
    });
    const r = get("roll");
    expect(r.code).toBe(6);
    expect(r.out).not.toContain("old-value");
  });

  it("managed: false does not switch off the file's tenant, name and version checks", () => {
    set("flag", "first");
    set("flag", "second");
    copyFileSync(file("flag", 1), file("flag", 2));
    tamper(file("flag", 2), (v) => ({ header: { ...v.header, managed: false }, value: v.value }));
    const r = get("flag");
    expect(r.code).toBe(6);
    expect(r.out).not.toContain("first");
  });

  it("a header without metadata (or with a non-string value) is an integrity failure, not a crash", () => {
    set("nometa", "v");
    tamper(file("nometa"), (v) => {
      const { metadata: _m, ...header } = v.header;
      return { header, value: v.value };
    });
    const r = get("nometa");
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^polyvault: INTEGRITY: file provider: .*v0000000001\.pv has a malformed header/);
    set("badmeta", "v");
    tamper(file("badmeta"), (v) => ({ header: { ...v.header, metadata: { "pv-rev": 1 } }, value: v.value }));
    expect(get("badmeta").code).toBe(6);
  });

  it("one bad --version says --version, not --length", () => {
    const r = get("api", "--version", "two");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--version must be a whole number/);
    expect(r.stderr).not.toContain("--length");
  });

  it("a data directory writable by others is warned about and fails compliance's key-protection control", () => {
    chmodSync(sb.home, 0o777);
    try {
      const r = cli(sb, ["secrets", "list", "--tenant", "acme"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`polyvault: warning: ${sb.home} is writable by group or others (mode 0777)`);
      const c = cli(sb, ["compliance", "check", "--tenant", "acme", "--standard", "soc2", "--json"]);
      const control = JSON.parse(c.out).controls.find((x: { id: string }) => x.id === "data-dir-permissions");
      expect(control).toMatchObject({ pass: false });
      expect(control.evidence).toContain("writable by group or others");
    } finally {
      chmodSync(sb.home, 0o700);
    }
    const c = cli(sb, ["compliance", "check", "--tenant", "acme", "--standard", "soc2", "--json"]);
    expect(JSON.parse(c.out).controls.find((x: { id: string }) => x.id === "data-dir-permissions")).toMatchObject({ pass: true });
  });
});
