/**
 * Tenant ids and secret names against an oracle written from docs/cli.md ("Names"), not from names.ts.
 * docs/cli.md: tenant `^[a-z0-9][a-z0-9_-]{0,62}$`; secret name 1–256 characters of letters, digits,
 * `_ - . /`, not starting or ending with `/`, no `..` segment. names.ts is stricter in two documented
 * ways (its error messages say so): no empty segment (`//`) and no `.` segment. The oracle states both,
 * and a separate property shows they are the only differences from the contract's wording.
 */
import { InvalidInputError, parseSecretName, parseTenantId } from "@polyvault/core";
import fc from "fast-check";
import { describe, it } from "vitest";
import { anySecretNameInput, anyTenantInput, validSecretName } from "./helpers/arbitraries.js";
import { PROPERTY_RUNS } from "./helpers/size.js";
import { Tally } from "./helpers/tally.js";

const tally = new Tally("property-names");

const ASCII_NAME = /^[A-Za-z0-9_.\-/]+$/;
/** The documented words (docs/cli.md, "Names"), literally. */
function contractSecretName(s: string): boolean {
  return s.length >= 1 && s.length <= 256 && ASCII_NAME.test(s) && !s.startsWith("/") && !s.endsWith("/") && !s.split("/").includes("..");
}
/** The contract plus names.ts's two stricter rules: no empty segment, no '.' segment. */
function secretNameOracle(s: string): boolean {
  return contractSecretName(s) && !s.split("/").some((seg) => seg === "" || seg === ".");
}
const tenantOracle = (s: string) => /^[a-z0-9][a-z0-9_-]{0,62}$/.test(s);

/** Runs the parser: accepted (and returned unchanged), or InvalidInputError naming the input; nothing else. */
function outcome(parse: (v: unknown) => string, input: unknown): boolean {
  try {
    const out = parse(input);
    tally.check(out === input, "an accepted name is returned unchanged");
    return true;
  } catch (err) {
    tally.check(err instanceof InvalidInputError, `only InvalidInputError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    return false;
  }
}

describe(`name validation (${PROPERTY_RUNS} cases per property)`, () => {
  it("secret names: accepted exactly when the oracle accepts", () => {
    fc.assert(
      fc.property(anySecretNameInput, (s) => {
        tally.trial();
        const expected = secretNameOracle(s);
        if (!expected) tally.fault();
        tally.check(outcome(parseSecretName, s) === expected, `parseSecretName(${JSON.stringify(s)}) should ${expected ? "accept" : "refuse"}`);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("secret names: every accepted name satisfies the documented wording; the only extra refusals are '//' and '.' segments", () => {
    fc.assert(
      fc.property(anySecretNameInput, (s) => {
        tally.trial();
        const accepted = outcome(parseSecretName, s);
        if (accepted) tally.check(contractSecretName(s), "accepted names follow the contract");
        else if (contractSecretName(s))
          tally.check(
            s.split("/").some((seg) => seg === "" || seg === "."),
            `${JSON.stringify(s)} refused for another reason`,
          );
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("valid names built from segments are all accepted (the generator is not vacuous)", () => {
    fc.assert(
      fc.property(validSecretName, (s) => {
        tally.trial();
        tally.check(outcome(parseSecretName, s), `${JSON.stringify(s)} is valid`);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("tenant ids: accepted exactly when the contract's pattern matches", () => {
    fc.assert(
      fc.property(anyTenantInput, (s) => {
        tally.trial();
        const expected = tenantOracle(s);
        if (!expected) tally.fault();
        tally.check(outcome(parseTenantId, s) === expected, `parseTenantId(${JSON.stringify(s)}) should ${expected ? "accept" : "refuse"}`);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("non-strings (numbers, objects, arrays, null…) are InvalidInputError for both", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== "string"),
        (v) => {
          tally.trial();
          tally.fault();
          tally.check(!outcome(parseSecretName, v) && !outcome(parseTenantId, v), "non-strings are refused");
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
