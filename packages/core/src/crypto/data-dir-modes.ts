/**
 * Who may write the data directory. Whoever can write it can replace the file store, the audit log or
 * the state file (not read a value: that needs the key), so a data directory, or a directory or file
 * directly in it, writable by group or others is reported: a warning on every command and a failed
 * `data-dir-permissions` compliance control. `keys/` itself must not even be readable by others (see
 * master-key.ts).
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { isErrno } from "./files.js";

const modeOf = (mode: number): string => (mode & 0o777).toString(8).padStart(4, "0");

/** One line per path that group or others can write, with its mode and the fix. Empty: none. */
export async function dataDirWritableByOthers(dataDir: string): Promise<string[]> {
  if (process.platform === "win32") return [];
  const problems: string[] = [];
  const check = async (path: string): Promise<boolean> => {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(path);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return false;
      throw err;
    }
    if (st.isSymbolicLink()) return false; // the link's own mode means nothing; what it points to is the operator's
    if ((st.mode & 0o022) !== 0) {
      problems.push(`${path} is writable by group or others (mode ${modeOf(st.mode)}); run \`chmod go-w ${path}\``);
    }
    return st.isDirectory();
  };
  if (!(await check(dataDir))) return problems;
  for (const entry of await readdir(dataDir)) await check(join(dataDir, entry));
  return problems;
}
