/** Reading and writing bundle files, with errors a person can act on. */
import { INPUT_LIMITS, readFileBounded } from "../bounded-read.js";
import { writeFileAtomic } from "../crypto/files.js";
import { InvalidInputError, NotFoundError, TooLargeError } from "../errors.js";

/** Writes a bundle atomically (temp file + rename), mode 0600: a reader never sees half a bundle. */
export async function writeBundleFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EACCES" || code === "EISDIR")
      throw new InvalidInputError(`cannot write backup bundle to ${path} (${code})`);
    throw err;
  }
}

export async function readBundleFile(path: string): Promise<Buffer> {
  try {
    return await readFileBounded(path, INPUT_LIMITS.bundle, `backup bundle ${path}`);
  } catch (err) {
    if (err instanceof TooLargeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`backup bundle ${path} does not exist`);
    throw new InvalidInputError(`cannot read backup bundle ${path} (${code ?? "error"})`);
  }
}
