/**
 * On Node < 22 the AWS SDK prints a nine-line NodeVersionSupportWarning the first time a client is made,
 * on stderr, where the CLI promises one line per error (docs/cli.md). Polyvault prints one short line
 * instead, once per process, or none with POLYVAULT_NODE_WARNING=off. A user who set the SDK's own switch
 * (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) keeps what it says. Node 22 or 24 is recommended.
 */
const SDK_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";
export const NODE_WARNING_LINE = "polyvault: note: the AWS SDK needs Node 22 or later from 2027; Node 22 or 24 is recommended";

let done = false;

export function replaceSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  if (done) return;
  done = true;
  if (env[SDK_SWITCH] !== undefined) return;
  env[SDK_SWITCH] = "true";
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22 && env.POLYVAULT_NODE_WARNING !== "off") process.stderr.write(`${NODE_WARNING_LINE}\n`);
}
