// Where the Azure tests find a Key Vault: the project's own test server (test/emulators/keyvault/,
// started by `npm test` and `npm run emulators -- up azure`), or whatever POLYVAULT_TEST_AZURE_URL names
// (a Lowkey Vault, a real vault). The test server's certificate is trusted through the PEM file
// POLYVAULT_TEST_AZURE_CA names; without it (a server given by URL), certificate checks are off for these
// test clients only.
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";

export const vaultUrl = process.env.POLYVAULT_TEST_AZURE_URL || "https://localhost:8443";
const caFile = process.env.POLYVAULT_TEST_AZURE_CA;
export const ca: string | undefined = caFile ? readFileSync(caFile, "utf8") : undefined;
export const tls = ca !== undefined ? { ca } : { rejectUnauthorized: false };
/** Test servers take any bearer token; the SDK still goes through the challenge first. */
export const testCredential: TokenCredential = { getToken: async () => ({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };
