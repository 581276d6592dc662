/**
 * Small JSON files of records in the data directory (the backup drills, the rotation pending file, the
 * canary records): names, numbers, times and reasons only, never a value. Reads are checked against a zod
 * schema (anything else is an IntegrityError naming the file); every change is made under a lock file on
 * a fresh read and written atomically (0600), so two processes never lose each other's entries.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { isErrno, withLockFile, writeFileAtomic } from "./crypto/files.js";
import { IntegrityError } from "./errors.js";

interface Keyed {
  readonly tenant: string;
  readonly name: string;
}

/** `{ format, <field>: [records] }`: the checked read and the locked, atomic change. */
export class JsonRecordFile<E> {
  readonly path: string;
  readonly #file: z.ZodType<Record<string, unknown>>;

  /** `format` is the file's version tag, `field` the array that holds the records, `entry` one record's schema. */
  constructor(
    dataDir: string,
    fileName: string,
    readonly format: string,
    readonly field: string,
    readonly entry: z.ZodType<E>,
  ) {
    this.path = join(dataDir, fileName);
    this.#file = z.strictObject({ format: z.literal(format), [field]: z.array(entry) });
  }

  async list(): Promise<E[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return [];
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new IntegrityError(`${this.path} is damaged: not JSON`);
    }
    const r = this.#file.safeParse(raw);
    if (!r.success) throw new IntegrityError(`${this.path} is damaged: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`);
    return r.data[this.field] as E[];
  }

  /** Any change: `edit` gets the records as they are now (under the lock) and returns what to keep. */
  async change(edit: (all: E[]) => E[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await withLockFile(`${this.path}.lock`, async () => {
      const next = edit(await this.list());
      await writeFileAtomic(this.path, `${JSON.stringify({ format: this.format, [this.field]: next }, null, 2)}\n`);
    });
  }
}

/** Records of one secret each, keyed by (tenant, name): at most one per secret. */
export class RecordFile<E extends Keyed> extends JsonRecordFile<E> {
  async get(tenant: string, name: string): Promise<E | undefined> {
    return (await this.list()).find((e) => e.tenant === tenant && e.name === name);
  }

  /** Adds or replaces the record of (entry.tenant, entry.name), checked against the schema first. */
  async put(entry: E): Promise<E> {
    const next = this.entry.parse(entry);
    await this.change((all) => [...all.filter((e) => !(e.tenant === next.tenant && e.name === next.name)), next]);
    return next;
  }

  async remove(tenant: string, name: string): Promise<void> {
    await this.change((all) => all.filter((e) => !(e.tenant === tenant && e.name === name)));
  }
}
