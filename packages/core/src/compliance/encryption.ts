/**
 * Encryption at rest: every store holding the tenant's data keeps Polyvault envelopes. The current
 * version of each secret is fetched and its header checked (nothing is decrypted). A secret in the
 * tenant's namespace that Polyvault does not manage is a failure (adopt it). A `native` route target
 * stores plaintext by design: it passes only with the route's explicit `nativeWaiver`, and is never read.
 */
import { parseHeader } from "../crypto/envelope-format.js";
import { isPolyvaultError } from "../errors.js";
import { META } from "../manager/metadata.js";
import { listAll } from "../provider.js";
import type { ComplianceInput, ComplianceStore, ControlOutcome } from "./types.js";

const label = (s: ComplianceStore): string => `${s.provider.name} (${s.role}${s.route ? ` of route ${s.route}` : ""})`;
const few = (names: string[]): string => names.slice(0, 5).join(", ") + (names.length > 5 ? `, … ${names.length - 5} more` : "");

async function checkStore(input: ComplianceInput, store: ComplianceStore): Promise<ControlOutcome> {
  const { provider } = store;
  if (store.encryption === "native") {
    return store.waiver
      ? { pass: true, evidence: `${label(store)} stores values natively (waived: ${store.waiver})` }
      : { pass: false, evidence: `${label(store)} stores values natively (encryption: native) and the route has no nativeWaiver` };
  }
  const managed: string[] = [];
  const unmanaged: string[] = [];
  for await (const h of listAll(provider, input.tenant)) (h.managed ? managed : unmanaged).push(h.name);
  const notEnvelope: string[] = [];
  const batch = Math.max(1, provider.capabilities.batchGet);
  for (let i = 0; i < managed.length; i += batch) {
    const got = await provider.getMany(input.tenant, managed.slice(i, i + batch));
    for (const [name, stored] of got) {
      try {
        parseHeader(stored.value);
        if (stored.metadata[META.encryption] === "native") notEnvelope.push(name);
      } catch {
        notEnvelope.push(name);
      } finally {
        stored.value.fill(0);
      }
    }
  }
  const problems = [
    ...(notEnvelope.length ? [`${notEnvelope.length} not encrypted by Polyvault: ${few(notEnvelope)}`] : []),
    ...(unmanaged.length ? [`${unmanaged.length} not managed by Polyvault (adopt them): ${few(unmanaged)}`] : []),
  ];
  if (problems.length) return { pass: false, evidence: `${label(store)}: ${problems.join("; ")}` };
  return { pass: true, evidence: `${label(store)}: ${managed.length} secret(s), every current version a Polyvault envelope` };
}

export async function encryptionAtRest(input: ComplianceInput): Promise<ControlOutcome> {
  const parts: ControlOutcome[] = [];
  for (const store of input.stores) {
    try {
      parts.push(await checkStore(input, store));
    } catch (err) {
      // Fail closed: what could not be checked is not compliant.
      const why = isPolyvaultError(err) ? `${err.code}: ${err.message}` : "unexpected error";
      parts.push({ pass: false, evidence: `${label(store)}: could not be checked (${why})` });
    }
  }
  if (parts.length === 0) return { pass: false, evidence: "no store holds this tenant's data" };
  return { pass: parts.every((p) => p.pass), evidence: parts.map((p) => p.evidence).join("; ") };
}
