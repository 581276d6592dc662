import { INPUT_LIMITS, InvalidInputError } from "@polyvault/core";
import { readAll } from "./input.js";

/** The passphrase is the first line of stdin (a trailing newline is not part of it). */
export async function readPassphrase(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const all = await readAll(stdin, INPUT_LIMITS.passphrase, "--passphrase-stdin: the passphrase on stdin");
  let end = all.indexOf(0x0a);
  if (end === -1) end = all.length;
  if (end > 0 && all[end - 1] === 0x0d) end--;
  const pass = Buffer.from(all.subarray(0, end));
  all.fill(0);
  if (pass.length === 0) throw new InvalidInputError("--passphrase-stdin: the passphrase read from stdin is empty");
  return pass;
}
