/**
 * The aws provider's descriptor (see core's descriptor.ts): configuration, location, factory. Imports no
 * SDK: the factory loads the package's index (and @aws-sdk) when a configured provider needs it.
 */
import { commonOptions, defineProvider, providerConfigSchema } from "@polyvault/core";
import { z } from "zod";

export const awsConfigSchema = providerConfigSchema("aws", {
  region: z.string().min(1),
  /** Another Secrets Manager endpoint (moto, LocalStack, a VPC endpoint); the region stays the location. */
  endpoint: z.url().optional(),
  /** Omit for the SDK's default credential chain (environment, profile, SSO, instance role…). */
  credentials: z.strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().optional() }).optional(),
  /** Days a soft-deleted secret stays recoverable, 7–30 (default 30, as AWS). */
  recoveryWindowDays: z.number().int().min(7).max(30).optional(),
});
export type AwsConfig = z.infer<typeof awsConfigSchema>;

export const awsProvider = defineProvider({
  type: "aws",
  schema: awsConfigSchema,
  // The configured region ("eu-west-1"); an `endpoint` override does not change it.
  location: (config) => config.region.toLowerCase(),
  async create(config, ctx) {
    const { createAwsProvider } = await import("./index.js");
    const { type: _type, rateLimit: _rate, concurrency: _concurrency, ...own } = config;
    return createAwsProvider({ ...own, ...commonOptions(config, ctx) });
  },
});
