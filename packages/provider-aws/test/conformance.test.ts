import { describeProviderConformance } from "@polyvault/provider-testkit";
import { createAwsProvider } from "../src/index.js";
import { nativeName, provider, rawRead, rawWrite, runPrefix, unreachable } from "./env.js";

const aws = provider(runPrefix("conformance"));

describeProviderConformance({
  name: "aws (moto)",
  create: () => aws,
  createUnreachable: () => unreachable(),
  createAt: (port, timeoutMs) =>
    createAwsProvider({
      name: "aws-dead",
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      timeoutMs,
    }),
  seedUnmanaged: async (tenant, name, value) => {
    await rawWrite(nativeName(aws, tenant, name), value);
  },
  readRaw: (tenant, name) => rawRead(nativeName(aws, tenant, name)),
  lacks: {
    checkAndSet:
      "Secrets Manager has no conditional PutSecretValue; put() compares the current version (DescribeSecret) " +
      "just before writing, which is not atomic against a concurrent writer. Creation with ifVersion null is " +
      "atomic (CreateSecret refuses an existing name).",
  },
});
