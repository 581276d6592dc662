// stderr on Node 20: the AWS SDK's nine-line NodeVersionSupportWarning becomes one short line, or none
// with POLYVAULT_NODE_WARNING=off (docs/cli.md). A child process, so the warning's once-per-process state
// is fresh; the client is made and used (twice) against moto.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { NODE_WARNING_LINE } from "../src/node-warning.js";

const script = `
const { createAwsProvider } = await import(${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)});
const p = createAwsProvider({ name: "aws", region: "us-east-1", endpoint: process.env.POLYVAULT_TEST_AWS_ENDPOINT ?? "http://127.0.0.1:4566", credentials: { accessKeyId: "test", secretAccessKey: "test" }, prefix: "nodewarn" });
await p.list("nodewarn");
await p.list("nodewarn");
await p.close();
`;

function stderrOf(env: NodeJS.ProcessEnv): string {
  const base = { ...process.env };
  delete base.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  delete base.POLYVAULT_NODE_WARNING;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...base, ...env }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr;
}

const old = Number(process.versions.node.split(".")[0]) < 22;

describe("the AWS SDK's Node version warning", () => {
  it(old ? "is one short line on this Node" : "is not printed on Node 22+", () => {
    expect(stderrOf({})).toBe(old ? `${NODE_WARNING_LINE}\n` : "");
  });

  it("is not printed with POLYVAULT_NODE_WARNING=off", () => {
    expect(stderrOf({ POLYVAULT_NODE_WARNING: "off" })).toBe("");
  });
});
