/**
 * The gateway's local token, for a gateway without `access` (as Jupyter's): without one, the Host, Origin
 * and content-type checks keep browsers out, but every other local user and every process that can make
 * a request to 127.0.0.1 (a container sharing the host's network, a local web app with a request-forgery
 * bug) would be admin. `serve` therefore requires `Authorization: Bearer <token>` on `/v1/…` even
 * without `access`; the token is 32 random bytes (base64url) kept in `<data-dir>/gateway.token`, mode
 * 0600, readable by whoever may read the data directory's keys anyway. It is created once and reused, so
 * clients and several gateways on one data directory keep working across restarts; delete the file to
 * change it.
 */
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import { constants, lstat, open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError, UnauthorizedError } from "@polyvault/core";

export const TOKEN_FILE = "gateway.token";
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The token of `<dataDir>/gateway.token`, created (0600, atomically) when absent. */
export async function ensureLocalToken(dataDir: string): Promise<{ token: string; file: string; created: boolean }> {
  const file = join(dataDir, TOKEN_FILE);
  const st = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (st) {
    if (!st.isFile() || st.size > 256) throw new InvalidInputError(`${file} is not a regular file of at most 256 bytes; remove it and start again`);
    if ((st.mode & 0o077) !== 0)
      throw new InvalidInputError(`${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file}`);
    const token = (await readFile(file, "utf8")).trim();
    if (!TOKEN.test(token)) throw new InvalidInputError(`${file} does not hold a gateway token; remove it and start again`);
    return { token, file, created: false };
  }
  const token = randomBytes(32).toString("base64url");
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(`${token}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return { token, file, created: true };
}

const digest = (s: string) => hash("sha256", s, "buffer");

/** Checks an Authorization header against the local token (constant time); UnauthorizedError otherwise. */
export function checkLocalToken(authorization: string | undefined, token: string, file: string): void {
  const given = authorization === undefined ? undefined : /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization)?.[1];
  if (given !== undefined && timingSafeEqual(digest(given), digest(token))) return;
  throw new UnauthorizedError(
    given === undefined
      ? `this gateway runs without \`access\` and needs its local token: send 'Authorization: Bearer <token>' with the token from ${file}`
      : `the bearer token is not this gateway's local token (${file})`,
  );
}
