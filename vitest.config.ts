import { configDefaults, defineConfig } from "vitest/config";

/**
 * One project per layer, so each can run alone (`npm test -- --project unit`) and each has the timeout
 * its tests need: unit tests are in-process and quick; the CLI tests spawn the built command; the
 * provider suites talk to the real servers; end-to-end and reliability suites run whole scenarios.
 * A test that needs longer than its layer gives its own timeout.
 */
const SERVER_PACKAGES = "packages/provider-{aws,azure,vault,file}/test/**/*.test.ts";
// Every test file belongs to exactly one project: the unit and e2e globs are the catch-alls.
const unitExclude = [...configDefaults.exclude, "packages/cli/**", "packages/provider-{aws,azure,vault,file}/**"];

export default defineConfig({
  test: {
    // Provider servers are shared: files run in parallel, tests within a file in order.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: unitExclude,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      { extends: true, test: { name: "cli", include: ["packages/cli/test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
      { extends: true, test: { name: "providers", include: [SERVER_PACKAGES], testTimeout: 120_000, hookTimeout: 120_000 } },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/reliability/**"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: "reliability",
          include: ["test/reliability/**/*.test.ts"],
          // Toxiproxy is shared by the fault suites: started once for the project, never by a file.
          globalSetup: ["test/reliability/helpers/toxiproxy-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
