/** A real webhook receiver on 127.0.0.1 that checks each alert's HMAC signature the way a user's would. */
import { createHmac, timingSafeEqual } from "node:crypto";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  readonly body: string;
  readonly json: Record<string, unknown>;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The signature header matched HMAC-SHA256(key, `${timestamp}.${body}`). */
  readonly signatureValid: boolean;
}

export async function startReceiver(key: string, statuses: number[] = []): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const ts = String(req.headers["x-polyvault-timestamp"] ?? "");
      const sig = String(req.headers["x-polyvault-signature"] ?? "");
      const want = `sha256=${createHmac("sha256", key).update(`${ts}.${body}`).digest("hex")}`;
      const signatureValid = sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // recorded as is
      }
      received.push({ body, json, headers: req.headers, signatureValid });
      res.writeHead(statuses.shift() ?? 200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}
