import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // Generous: these are end-to-end tests on a shared 2-core machine; a hang still fails.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Provider servers are shared: files run in parallel, tests within a file in order.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
