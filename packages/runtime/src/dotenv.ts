/**
 * `.env` files: parsed by dotenv, after a check that no assignment is silently dropped — dotenv skips a
 * line whose key is not `[\w.-]+` (e.g. `db/url=…` or `../x=…`), which would import a file only in part,
 * and loses `__proto__` (it assigns keys to a plain object), which is refused by name. The result has a
 * null prototype: `constructor` or `toString` are the file's own keys.
 */
import { InvalidInputError } from "@polyvault/core";
import { parse } from "dotenv";

const ASSIGNMENT = /^\s*(?:export\s+)?([^\s=#]+)\s*=/;
const DOTENV_KEY = /^[\w.-]+$/;

export function parseEnvFile(buf: Buffer, file: string): Record<string, string> {
  const lines = buf.toString("utf8").split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const key = ASSIGNMENT.exec(line)?.[1];
    // The line number and the key (a name) are reported, never the value.
    if (key !== undefined && !DOTENV_KEY.test(key))
      throw new InvalidInputError(`${file}:${i + 1}: ${JSON.stringify(key.slice(0, 80))} is not a variable name dotenv can read; nothing was imported`);
    if (key === "__proto__") throw new InvalidInputError(`${file}:${i + 1}: __proto__ cannot be imported as a variable name; nothing was imported`);
  }
  return Object.assign(Object.create(null) as Record<string, string>, parse(buf));
}
