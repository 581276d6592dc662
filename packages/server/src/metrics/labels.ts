/**
 * Tenant label values, bounded: tenants named in the configuration keep their id; other tenants (the
 * embedded default accepts any valid id, and a caller chooses which id to ask for) get their own label
 * only up to a limit, after which they share `_other`. A scrape therefore never grows without bound
 * however many tenant ids callers try.
 */
export const OTHER_TENANTS = "_other";

export class TenantLabels {
  readonly #known: Set<string>;
  readonly #extra = new Set<string>();

  constructor(
    configured: readonly string[],
    readonly maxExtra = 50,
  ) {
    this.#known = new Set(configured);
  }

  of(tenant: string): string {
    if (this.#known.has(tenant) || this.#extra.has(tenant)) return tenant;
    if (this.#extra.size < this.maxExtra) {
      this.#extra.add(tenant);
      return tenant;
    }
    return OTHER_TENANTS;
  }
}
