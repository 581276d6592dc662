/**
 * How big the reliability suites run. `npm test` runs them small (POLYVAULT_RELIABILITY unset);
 * `npm run test:reliability -- --full` sets POLYVAULT_RELIABILITY=full for the counts docs/reliability.md
 * records (≥ 200 crash trials, ≥ 10,000 property cases each).
 */
export const FULL = process.env.POLYVAULT_RELIABILITY === "full";

export const size = <T>(small: T, full: T): T => (FULL ? full : small);

/** fast-check runs per property. */
export const PROPERTY_RUNS = size(1_000, 10_000);

/** Why a provider server cannot be had here (set by test/run-tests.mjs and run.mjs), if so. */
export const notRun = (provider: "aws" | "azure" | "vault"): string | undefined =>
  process.env[`POLYVAULT_TEST_${provider.toUpperCase()}_UNAVAILABLE`] || undefined;

export const AWS_ENDPOINT = process.env.POLYVAULT_TEST_AWS_ENDPOINT || "http://127.0.0.1:4566";
export const VAULT_ADDR = process.env.POLYVAULT_TEST_VAULT_ADDR || "http://127.0.0.1:8200";
export const AZURE_URL = process.env.POLYVAULT_TEST_AZURE_URL || "https://localhost:8443";
export const VAULT_TOKEN = process.env.POLYVAULT_TEST_VAULT_TOKEN || "polyvault-dev";
