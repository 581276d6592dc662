import { mkdtempSync, writeFileSync } from "node:fs";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeProviderConformance } from "@polyvault/provider-testkit";
import { createFileProvider, encodeName, encodeVersion } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "pv-file-conformance-"));
const secretDir = (tenant: string, name: string) => join(dir, tenant, "s", ...encodeName(name));

describeProviderConformance({
  name: "file",
  create: () => createFileProvider({ name: "local", dir }),
  createUnreachable: () => {
    // A store root below a regular file cannot be reached (ENOTDIR), like a volume that is gone.
    const blocker = join(mkdtempSync(join(tmpdir(), "pv-file-down-")), "not-a-dir");
    writeFileSync(blocker, "");
    return createFileProvider({ name: "down", dir: join(blocker, "store") });
  },
  async seedUnmanaged(tenant, name, value) {
    // Another tool writing into the store: a version file with no Polyvault ownership.
    const d = secretDir(tenant, name);
    await mkdir(d, { recursive: true });
    writeFileSync(join(d, "v0000000001.pv"), encodeVersion({ name, tenant, managed: false, metadata: {}, createdAt: new Date().toISOString() }, value));
  },
  async readRaw(tenant, name) {
    const d = secretDir(tenant, name);
    const files = (await readdir(d)).filter((f) => f.endsWith(".pv")).sort();
    const last = files.at(-1);
    if (!last) return undefined;
    const buf = await readFile(join(d, last));
    return buf.subarray(8 + buf.readUInt32BE(4));
  },
});
