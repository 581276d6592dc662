import { afterAll, beforeAll, describe } from "vitest";
import type { Provider } from "@polyvault/core";
import type { SuiteContext } from "./context.js";
import { freshTenant } from "./fixtures.js";
import type { ConformanceOptions } from "./index.js";
import { concurrencySection } from "./sections/concurrency.js";
import { failureSection } from "./sections/failures.js";
import { lifecycleSection } from "./sections/lifecycle.js";
import { listingSection } from "./sections/listing.js";
import { namesSection } from "./sections/names.js";
import { ownershipSection } from "./sections/ownership.js";
import { roundTripSection } from "./sections/roundtrip.js";
import { unreachableSection } from "./sections/unreachable.js";

export function describeProviderConformance(options: ConformanceOptions): void {
  // Skipped only when the real server cannot be installed here at all; the reason is in the test name.
  const run = options.serverUnavailable ? describe.skip : describe;
  const title = options.serverUnavailable
    ? `provider conformance: ${options.name} — NOT RUN: ${options.serverUnavailable}`
    : `provider conformance: ${options.name}`;
  run(title, () => {
    let ctx: SuiteContext | undefined;
    let provider: Provider | undefined;
    beforeAll(async () => {
      provider = await options.create();
      ctx = {
        provider,
        tenant: freshTenant("a"),
        other: freshTenant("b"),
        options,
        slow: options.slowTimeoutMs ?? 120_000,
      };
    });
    afterAll(async () => {
      await provider?.close();
    });
    const get = (): SuiteContext => {
      if (!ctx) throw new Error("conformance context not initialised (beforeAll failed?)");
      return ctx;
    };
    const slow = options.slowTimeoutMs ?? 120_000;
    for (const section of [roundTripSection, lifecycleSection, listingSection, ownershipSection, namesSection, concurrencySection, failureSection]) {
      section(get, slow);
    }
    if (options.createAt) unreachableSection(get, slow);
  });
}
