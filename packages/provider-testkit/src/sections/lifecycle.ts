import { NotFoundError } from "@polyvault/core";
import { describe, expect, it } from "vitest";
import type { Section } from "../context.js";
import { exists, rejection } from "../fixtures.js";

export const lifecycleSection: Section = (ctx, slow) =>
  describe("versions and deletion", () => {
    it(
      "keeps versions, newest first, and reads an old one by id",
      async () => {
        const { provider, tenant, options } = ctx();
        const v1 = await provider.put(tenant, "life/versions", Buffer.from("one"));
        const v2 = await provider.put(tenant, "life/versions", Buffer.from("two"));
        expect(v2.version).not.toBe(v1.version);
        expect((await provider.get(tenant, "life/versions")).value.toString()).toBe("two");
        const versions = await provider.versions(tenant, "life/versions");
        expect(versions[0]?.version).toBe(v2.version);
        expect(versions[0]?.current).toBe(true);
        expect(versions.filter((v) => v.current)).toHaveLength(1);
        if (options.lacks?.versions) {
          expect(versions.length).toBeGreaterThanOrEqual(1);
          return;
        }
        expect(versions.map((v) => v.version)).toContain(v1.version);
        const old = await provider.get(tenant, "life/versions", { version: v1.version });
        expect(old.value.toString()).toBe("one");
        expect(old.version).toBe(v1.version);
      },
      slow,
    );

    it(
      "keeps each version's own metadata: an old version read by id returns what was written with it",
      async () => {
        const { provider, tenant, options } = ctx();
        if (options.lacks?.versions) return; // no old versions to read (the reason is in the provider's test file)
        const name = "life/version-meta";
        const v1 = await provider.put(tenant, name, Buffer.from("one"), {
          metadata: { "pv-digest": "hmac:d1", "pv-labels": "b64:eyJ0ZWFtIjoiYSJ9", "pv-rev": "1" },
        });
        await provider.put(tenant, name, Buffer.from("two"), { metadata: { "pv-digest": "hmac:d2", "pv-rev": "2" }, ifVersion: v1.version });
        const old = await provider.get(tenant, name, { version: v1.version });
        expect(old.value.toString()).toBe("one");
        expect(old.metadata).toMatchObject({ "pv-digest": "hmac:d1", "pv-labels": "b64:eyJ0ZWFtIjoiYSJ9", "pv-rev": "1" });
        const current = await provider.get(tenant, name);
        expect(current.metadata).toMatchObject({ "pv-digest": "hmac:d2", "pv-rev": "2" });
        expect(current.metadata["pv-labels"]).toBeUndefined();
        expect((await provider.head(tenant, name)).metadata["pv-labels"]).toBeUndefined();
      },
      slow,
    );

    it(
      "answers NotFoundError for a missing secret, version, head, delete and versions()",
      async () => {
        const { provider, tenant } = ctx();
        await provider.put(tenant, "life/present", Buffer.from("p"));
        for (const call of [
          () => provider.get(tenant, "life/absent"),
          () => provider.head(tenant, "life/absent"),
          () => provider.delete(tenant, "life/absent"),
          () => provider.versions(tenant, "life/absent"),
          () => provider.get(tenant, "life/present", { version: "999999" }),
        ]) {
          const err = await rejection(call());
          expect(err).toBeInstanceOf(NotFoundError);
        }
      },
      slow,
    );

    it(
      "soft delete hides the secret; writing the name again works",
      async () => {
        const { provider, tenant } = ctx();
        await provider.put(tenant, "life/soft", Buffer.from("before"));
        await provider.delete(tenant, "life/soft");
        expect(await rejection(provider.get(tenant, "life/soft"))).toBeInstanceOf(NotFoundError);
        expect(await exists(provider, tenant, "life/soft")).toBe(false);
        expect(await collectNames(ctx, "life/")).not.toContain("life/soft");
        await provider.put(tenant, "life/soft", Buffer.from("after"));
        expect((await provider.get(tenant, "life/soft")).value.toString()).toBe("after");
      },
      slow,
    );

    it(
      "purge removes every version; writing the name again starts afresh",
      async () => {
        const { provider, tenant } = ctx();
        await provider.put(tenant, "life/purge", Buffer.from("a"));
        await provider.put(tenant, "life/purge", Buffer.from("b"));
        await provider.delete(tenant, "life/purge", { purge: true });
        expect(await rejection(provider.get(tenant, "life/purge"))).toBeInstanceOf(NotFoundError);
        expect(await rejection(provider.versions(tenant, "life/purge"))).toBeInstanceOf(NotFoundError);
        await provider.put(tenant, "life/purge", Buffer.from("c"));
        expect((await provider.get(tenant, "life/purge")).value.toString()).toBe("c");
        const versions = await provider.versions(tenant, "life/purge");
        expect(versions.filter((v) => v.current)).toHaveLength(1);
      },
      slow,
    );

    it(
      "a soft-deleted secret can be purged, and then recreated",
      async () => {
        const { provider, tenant } = ctx();
        await provider.put(tenant, "life/soft-then-purge", Buffer.from("a"));
        await provider.delete(tenant, "life/soft-then-purge");
        // Purging what is already soft-deleted either succeeds or says NotFound; it must not fail otherwise.
        try {
          await provider.delete(tenant, "life/soft-then-purge", { purge: true });
        } catch (err) {
          expect(err).toBeInstanceOf(NotFoundError);
        }
        await provider.put(tenant, "life/soft-then-purge", Buffer.from("b"));
        expect((await provider.get(tenant, "life/soft-then-purge")).value.toString()).toBe("b");
      },
      slow,
    );
  });

async function collectNames(ctx: Parameters<Section>[0], prefix: string): Promise<string[]> {
  const { provider, tenant } = ctx();
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await provider.list(tenant, { cursor });
    names.push(...page.items.map((h) => h.name).filter((n) => n.startsWith(prefix)));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return names;
}
