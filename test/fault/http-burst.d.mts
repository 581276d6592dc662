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
export function burstProxy(upstream: string, dialect: "aws" | "vault" | "azure"): Promise<BurstProxy>;
