/** Every command module, in the order `polyvault --help` lists them. */
import type { Command } from "commander";
import type { Runner } from "../main.js";
import { registerBackup } from "./backup.js";
import { registerCompliance } from "./compliance.js";
import { registerAudit } from "./audit.js";
import { registerCredentials } from "./credentials.js";
import { registerDemo } from "./demo.js";
import { registerEnv } from "./env.js";
import { registerInit } from "./init.js";
import { registerJobs } from "./jobs.js";
import { registerKeys } from "./keys.js";
import { registerRotation } from "./rotation.js";
import { registerSecrets } from "./secrets.js";
import { registerSync } from "./sync.js";
import { registerMigrate } from "./migrate.js";
import { registerServe } from "./serve.js";
import { registerAdopt } from "./adopt.js";
import { registerRun } from "./run.js";

export const COMMANDS: Array<(program: Command, run: Runner) => void> = [
  registerInit,
  registerSecrets,
  registerKeys,
  registerEnv,
  registerRun,
  registerCredentials,
  registerSync,
  registerMigrate,
  registerAdopt,
  registerRotation,
  registerAudit,
  registerCompliance,
  registerBackup,
  registerJobs,
  registerServe,
  registerDemo,
];
