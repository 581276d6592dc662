/**
 * `env export --format dotenv|json|yaml|shell`: each format's output is read back byte for byte by the
 * parser people use for it (the dotenv package, JSON.parse, the yaml package, `sh`/`bash` sourcing),
 * and no output ever runs anything when a shell sources it. A value a format cannot carry exactly is
 * refused with an error naming the variable and a format that can (never the value).
 *
 * dotenv (the default; what `dotenv.parse` reads): a value is written bare when it is only
 * `[A-Za-z0-9_./:@+-]` (as before); else in single quotes, which dotenv and every shell take literally,
 * when it has no `'`, no CR (dotenv turns every CR into LF, even inside quotes) and does not end with
 * `\` (dotenv would read `\'` as an escaped quote); else in double quotes, with CR and LF written `\r`
 * and `\n` (dotenv's only escapes), when it has no `"`, `\`, `$` or backquote — so a shell sourcing
 * the file expands nothing. Anything else (a `'` together with one of those) is refused: dotenv's only
 * other quote is the backquote, which a shell would execute.
 */
import { isUtf8 } from "node:buffer";
import { InvalidInputError } from "@polyvault/core";
import { stringify as yamlStringify } from "yaml";

export const ENV_FORMATS = ["dotenv", "json", "yaml", "shell"] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** A variable name every shell and dotenv accept. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether a format can name a secret (JSON and YAML keys can be any secret name). */
export function formatNames(format: EnvFormat, name: string): boolean {
  return format === "json" || format === "yaml" || ENV_KEY.test(name);
}

const BARE = /^[A-Za-z0-9_./:@+-]*$/;

function dotenvValue(name: string, value: string): string {
  if (BARE.test(value)) return value;
  if (!/['\r]/.test(value) && !value.endsWith("\\")) return `'${value}'`;
  if (!/["\\$`]/.test(value)) return `"${value.replace(/\r/g, "\\r").replace(/\n/g, "\\n")}"`;
  throw new InvalidInputError(
    `the value of ${name} holds both a single quote and one of " \\ $ \` or a carriage return: dotenv cannot carry it without quoting a shell would execute; use --format shell, json or yaml`,
  );
}

/** POSIX single quotes: literal for every byte but NUL; a `'` is written `'\''`. */
const shellValue = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

/** The values as text: refused when one is not UTF-8, or holds NUL (no environment can carry it). */
export function exportText(tenant: string, values: ReadonlyMap<string, Buffer>, format: EnvFormat): string {
  const texts = new Map<string, string>();
  for (const [name, bytes] of values) {
    if (!isUtf8(bytes))
      throw new InvalidInputError(
        `secret ${name} of tenant ${tenant} is not UTF-8 text, which no export format carries exactly; read it with secrets get --json (valueBase64)`,
      );
    const text = bytes.toString("utf8");
    if (format !== "json" && format !== "yaml" && text.includes("\u0000"))
      throw new InvalidInputError(`the value of ${name} holds a NUL character, which no environment variable can; use --format json or yaml`);
    texts.set(name, text);
  }
  switch (format) {
    case "dotenv":
      return [...texts].map(([k, v]) => `${k}=${dotenvValue(k, v)}\n`).join("");
    case "shell":
      return [...texts].map(([k, v]) => `export ${k}=${shellValue(v)}\n`).join("");
    case "json":
      return `${JSON.stringify(Object.fromEntries(texts), null, 2)}\n`;
    case "yaml":
      return texts.size === 0 ? "{}\n" : yamlStringify(Object.fromEntries(texts), { lineWidth: 0 });
  }
}
