/**
 * `compliance check`: every control of the standard, evaluated from real state, each with pass/fail
 * and evidence. A control that cannot be evaluated (a provider down, damaged data) fails: what cannot
 * be shown is not compliant.
 */
import { InvalidInputError, isPolyvaultError } from "../errors.js";
import { controlsFor } from "./standards.js";
import { type ComplianceInput, type ComplianceReport, type ControlResult, STANDARDS, type Standard } from "./types.js";

export function parseStandard(raw: string): Standard {
  const s = raw.toLowerCase();
  if (!(STANDARDS as readonly string[]).includes(s))
    throw new InvalidInputError(`unknown standard ${JSON.stringify(raw.slice(0, 40))}: use one of ${STANDARDS.join(", ")}`);
  return s as Standard;
}

export async function checkCompliance(input: ComplianceInput, standard: Standard): Promise<ComplianceReport> {
  const now = input.now ?? new Date();
  const controls: ControlResult[] = [];
  for (const c of controlsFor(standard)) {
    const reference = c.references[standard] as string;
    try {
      const r = await c.run(input, now);
      controls.push({ id: c.id, title: c.title, pass: r.pass, evidence: r.evidence, reference });
    } catch (err) {
      const why = isPolyvaultError(err) ? `${err.code}: ${err.message}` : "unexpected error";
      controls.push({ id: c.id, title: c.title, pass: false, evidence: `could not be evaluated (${why})`, reference });
    }
  }
  return { standard, tenant: input.tenant, pass: controls.every((c) => c.pass), controls };
}
