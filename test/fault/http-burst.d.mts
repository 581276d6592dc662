// Types of http-burst.mjs for the TypeScript suites that import it.
export interface BurstProxy {
  readonly url: string;
  readonly counts: { requests: number; injected: number; forwarded: number };
  burst(status: 429 | 503, count: number): void;
  failAlways(status: 429 | 503): void;
  forward(): void;
  pending(): number;
  close(): Promise<void>;
}
/** `ca`: the PEM to trust for an https upstream (default: POLYVAULT_TEST_AZURE_CA's file). */
export function burstProxy(upstream: string, dialect: "aws" | "vault" | "azure", options?: { ca?: string }): Promise<BurstProxy>;
