/**
 * A secret value handed to a caller. JS strings cannot be wiped, so the value stays in a Buffer until the
 * caller asks for text; wipe() zeroes the Buffer, and a SecureContext wipes every value it handed out.
 */
export interface SecretInfo {
  readonly tenant: string;
  readonly name: string;
  /** Polyvault revision (1, 2, …): the same on every provider holding this version. */
  readonly version: number;
  /** The provider that answered. */
  readonly servedBy: string;
  /** true when a mirror answered because the primary was unavailable. */
  readonly stale: boolean;
  readonly updatedAt: Date | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly keyVersion: number;
}

export class SecretValue implements SecretInfo {
  readonly tenant: string;
  readonly name: string;
  readonly version: number;
  readonly servedBy: string;
  readonly stale: boolean;
  readonly updatedAt: Date | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly keyVersion: number;
  #bytes: Buffer;
  #wiped = false;

  constructor(info: SecretInfo, bytes: Buffer) {
    this.tenant = info.tenant;
    this.name = info.name;
    this.version = info.version;
    this.servedBy = info.servedBy;
    this.stale = info.stale;
    this.updatedAt = info.updatedAt;
    this.labels = info.labels;
    this.keyVersion = info.keyVersion;
    this.#bytes = bytes;
  }

  /** The value's bytes (the same Buffer: wiping it wipes this value). */
  bytes(): Buffer {
    this.#assertLive();
    return this.#bytes;
  }

  /** The value as UTF-8 text. The returned string cannot be wiped: ask for it only when you must. */
  text(): string {
    this.#assertLive();
    return this.#bytes.toString("utf8");
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  wipe(): void {
    this.#bytes.fill(0);
    this.#wiped = true;
  }

  [Symbol.dispose](): void {
    this.wipe();
  }

  /** Never print a value by accident. */
  toJSON(): SecretInfo {
    const { tenant, name, version, servedBy, stale, updatedAt, labels, keyVersion } = this;
    return { tenant, name, version, servedBy, stale, updatedAt, labels, keyVersion };
  }

  toString(): string {
    return `[SecretValue ${this.tenant}/${this.name} v${this.version}]`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  #assertLive(): void {
    if (this.#wiped) throw new Error(`secret value ${this.tenant}/${this.name} was wiped when its context closed`);
  }
}
