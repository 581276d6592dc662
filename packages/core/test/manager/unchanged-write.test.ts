// A write of the value (and labels) a secret already holds is a no-op: no new version, reported as
// unchanged. The digest in the provider's metadata only short-lists the candidates; the decision is
// taken on the authenticated ciphertext, so a provider that forges a digest cannot make a write vanish.
import { describe, expect, it } from "vitest";
import { digest } from "../../src/index.js";
import { setup } from "../rotation/support.js";

describe("SecretManager.set of an unchanged value", () => {
  it("keeps the version and reports unchanged; a different value, labels or a rotate make a new version", async () => {
    const { manager, provider, tenant } = await setup("noop-writes");
    expect(await manager.set("DB", "one", { labels: { team: "a" } })).toEqual({ version: 1, unchanged: false });
    expect(await manager.set("DB", "one", { labels: { team: "a" } })).toEqual({ version: 1, unchanged: true });
    expect(await manager.set("DB", Buffer.from("one"), { labels: { team: "a" } })).toEqual({ version: 1, unchanged: true });
    expect(await provider.versions(tenant, "DB")).toHaveLength(1);

    // Labels are part of what is written: other labels, or none, are a change.
    expect(await manager.set("DB", "one", { labels: { team: "b" } })).toEqual({ version: 2, unchanged: false });
    expect(await manager.set("DB", "one")).toEqual({ version: 3, unchanged: false });
    expect(await manager.set("DB", "one")).toEqual({ version: 3, unchanged: true });
    expect(await manager.set("DB", "two")).toEqual({ version: 4, unchanged: false });
    // A rotation always makes a new version, even to the same value.
    expect(await manager.rotate("DB", { value: "two" })).toEqual({ version: 5, unchanged: false });
    expect(await provider.versions(tenant, "DB")).toHaveLength(5);
    expect((await manager.get("DB")).text()).toBe("two");
  });

  it("a digest forged in the provider's metadata does not turn a real change into a no-op", async () => {
    const { manager, provider, keyring, tenant } = await setup("noop-forged");
    await manager.set("API_KEY", "old");
    // Whoever controls the store writes the digest of the value the owner is about to write.
    provider.tamper(tenant, "API_KEY", (await provider.get(tenant, "API_KEY")).value, { "pv-digest": digest(keyring, tenant, "API_KEY", "new") });
    expect(await manager.set("API_KEY", "new")).toEqual({ version: 2, unchanged: false });
    expect((await manager.get("API_KEY")).text()).toBe("new");
  });

  it("a current version that no longer opens (damaged) is replaced by the write, not an error", async () => {
    const { manager, provider, tenant } = await setup("noop-damaged");
    await manager.set("DB", "same");
    const damaged = Buffer.from((await provider.get(tenant, "DB")).value);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 1;
    provider.tamper(tenant, "DB", damaged);
    expect(await manager.set("DB", "same")).toEqual({ version: 2, unchanged: false });
    expect((await manager.get("DB")).text()).toBe("same");
  });
});
