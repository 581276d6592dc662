// A self-signed certificate for localhost, 127.0.0.1 and ::1, made at start-up by the `openssl` binary
// (Node has no X.509 generator; the binary avoids a dependency). The private key never leaves memory
// after this: its temporary file is removed at once.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function selfSignedCertificate(days = 30) {
  const dir = mkdtempSync(join(tmpdir(), "polyvault-kv-tls-"));
  try {
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        String(days),
        "-subj",
        "/CN=localhost/O=Polyvault test Key Vault",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { encoding: "utf8" },
    );
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : (r.stderr ?? "").trim().split("\n").slice(-3).join(" ");
      throw new Error(`openssl could not make the test server's certificate (install OpenSSL 1.1.1+): ${why}`);
    }
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
