import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Provider servers are shared: files run in parallel, tests within a file in order.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
