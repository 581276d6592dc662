import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IntegrityError, PendingRotations, lastDrill, readDrills, recordDrill } from "../../src/index.js";
import { caught, tempDir } from "../rotation/support.js";

const drill = (tenant: string, at: string) => ({ tenant, at, kind: "dry-run" as const, bundleCreatedAt: "2030-01-01T00:00:00.000Z", secrets: 2, versions: 3 });

describe("restore drills", () => {
  it("are recorded per tenant (0600), the newest 20 kept, and the newest found", async () => {
    const dir = await tempDir();
    expect(await readDrills(dir)).toEqual([]);
    for (let d = 1; d <= 25; d++) await recordDrill(dir, drill("acme", `2030-01-${String(d).padStart(2, "0")}T00:00:00.000Z`));
    await recordDrill(dir, drill("globex", "2029-06-01T00:00:00.000Z"));
    const all = await readDrills(dir);
    expect(all.filter((x) => x.tenant === "acme")).toHaveLength(20);
    expect(lastDrill(all, "acme")?.at).toBe("2030-01-25T00:00:00.000Z");
    expect(lastDrill(all, "globex")?.at).toBe("2029-06-01T00:00:00.000Z");
    expect(lastDrill(all, "initech")).toBeUndefined();
    expect((await stat(join(dir, "backup-drills.json"))).mode & 0o777).toBe(0o600);
  });

  it("a damaged drills or pending-rotations file is an IntegrityError naming the file", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "backup-drills.json"), "{nope");
    const e1 = await caught(() => readDrills(dir));
    expect(e1).toBeInstanceOf(IntegrityError);
    expect(e1.message).toBe(`${join(dir, "backup-drills.json")} is damaged: not JSON`);
    await writeFile(join(dir, "rotation-pending.json"), JSON.stringify({ format: "polyvault-rotation-pending/v1", pending: [{ tenant: "a" }] }));
    const e2 = await caught(() => new PendingRotations(dir).list());
    expect(e2).toBeInstanceOf(IntegrityError);
    expect(e2.message).toMatch(new RegExp(`^${join(dir, "rotation-pending.json")} is damaged: pending\\.0\\.name: `));
  });
});
