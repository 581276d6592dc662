/**
 * Which controls each standard asks for, and the clause each one serves (docs/compliance.md explains
 * the mapping): GDPR articles, SOC 2 trust services criteria, the HIPAA security rule, ISO/IEC 27001:2022
 * Annex A controls and NIST Cybersecurity Framework 2.0 subcategories. Residency is asked for by GDPR,
 * ISO 27001 (A.5.31 legal requirements, A.5.34 privacy and PII) and NIST CSF (GV.OC-03 legal and
 * regulatory requirements), whose residency control needs an allowlist of regions.
 */
import { separationOfDuties, leastPrivilege } from "./access.js";
import { dataDirPermissions } from "./data-dir.js";
import { encryptionAtRest } from "./encryption.js";
import { auditChain, auditRetention, backupDrill, rotationAge } from "./governance.js";
import { keyAge, keyUse } from "./keys.js";
import { dataResidency } from "./residency.js";
import type { ControlFn, Standard } from "./types.js";

export interface ControlDef {
  readonly id: string;
  readonly title: string;
  readonly run: ControlFn;
  readonly references: Readonly<Partial<Record<Standard, string>>>;
}

export const CONTROLS: readonly ControlDef[] = [
  {
    id: "encryption-at-rest",
    title: "Every stored secret is encrypted (native targets only with a waiver)",
    run: encryptionAtRest,
    references: { gdpr: "Art. 32(1)(a)", soc2: "CC6.1", hipaa: "§164.312(a)(2)(iv)", iso27001: "A.8.24", "nist-csf": "PR.DS-01" },
  },
  {
    id: "data-dir-permissions",
    title: "Nobody but the service account can write the data directory (nor read its keys)",
    run: dataDirPermissions,
    references: { gdpr: "Art. 32(1)(b)", soc2: "CC6.1", hipaa: "§164.312(c)(1)", iso27001: "A.8.3", "nist-csf": "PR.AA-05" },
  },
  {
    id: "key-age",
    title: "The current key version is within its maximum age",
    run: keyAge,
    references: { gdpr: "Art. 32(1)(a)", soc2: "CC6.1", hipaa: "§164.312(a)(2)(iv)", iso27001: "A.8.24", "nist-csf": "PR.DS-01" },
  },
  {
    id: "key-usage",
    title: "Each key protects no more than its limit, and nothing under a retired key",
    run: keyUse,
    references: { gdpr: "Art. 32(1)(a)", soc2: "CC6.1", hipaa: "§164.312(a)(2)(iv)", iso27001: "A.8.24", "nist-csf": "PR.DS-01" },
  },
  {
    id: "rotation-age",
    title: "Every secret was rotated within its policy interval",
    run: rotationAge,
    references: { gdpr: "Art. 32(1)(b)", soc2: "CC6.1", hipaa: "§164.312(d)", iso27001: "A.5.17", "nist-csf": "PR.AA-01" },
  },
  {
    id: "audit-chain",
    title: "The audit log's hash chain and signed checkpoints verify",
    run: auditChain,
    references: { gdpr: "Art. 32(1)(b), 32(1)(d)", soc2: "CC7.2", hipaa: "§164.312(b), §164.312(c)(1)", iso27001: "A.8.15", "nist-csf": "PR.PS-04, DE.CM-09" },
  },
  {
    id: "audit-retention",
    title: "Audit records are kept at least as long as policy requires",
    run: auditRetention,
    references: { gdpr: "Art. 5(2), Art. 32(1)(d)", soc2: "CC7.2, CC7.3", hipaa: "§164.312(b)", iso27001: "A.8.15", "nist-csf": "PR.PS-04" },
  },
  {
    id: "least-privilege",
    title: "No wildcard admin outside a break-glass principal",
    run: leastPrivilege,
    references: { gdpr: "Art. 32(1)(b), 32(4)", soc2: "CC6.1, CC6.3", hipaa: "§164.312(a)(1)", iso27001: "A.5.15, A.8.2", "nist-csf": "PR.AA-05" },
  },
  {
    id: "separation-of-duties",
    title: "No principal is both key administrator and reader of values",
    run: separationOfDuties,
    references: { gdpr: "Art. 32(1)(b)", soc2: "CC6.3", hipaa: "§164.312(a)(1)", iso27001: "A.5.3", "nist-csf": "PR.AA-05" },
  },
  {
    id: "data-residency",
    title: "Every store is in an allowed region",
    run: dataResidency,
    references: { gdpr: "Art. 32(1)(b), Art. 44", iso27001: "A.5.31, A.5.34", "nist-csf": "GV.OC-03" },
  },
  {
    id: "backup-drill",
    title: "A backup restore drill was done recently",
    run: backupDrill,
    references: {
      gdpr: "Art. 32(1)(c), 32(1)(d)",
      soc2: "CC7.5, A1.3",
      hipaa: "§164.308(a)(7)(ii)(A),(D)",
      iso27001: "A.8.13",
      "nist-csf": "PR.DS-11, RC.RP-03",
    },
  },
];

export function controlsFor(standard: Standard): ControlDef[] {
  return CONTROLS.filter((c) => c.references[standard] !== undefined);
}
