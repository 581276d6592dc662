import type { Provider, TenantId } from "@polyvault/core";
import type { ConformanceOptions } from "./index.js";

/** What every section of the suite gets: the provider under test, a fresh tenant, the options. */
export interface SuiteContext {
  readonly provider: Provider;
  readonly tenant: TenantId;
  readonly other: TenantId;
  readonly options: ConformanceOptions;
  readonly slow: number;
}

export type Section = (ctx: () => SuiteContext, slow: number) => void;
