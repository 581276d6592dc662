/**
 * Endpoints where a provider's server is not: a port that refuses connections, a server that accepts
 * and never answers, and an HTTP server that answers but is not the service. Every provider's timeout
 * test points at these and expects UnavailableError within its timeoutMs, never NotFound or a hang.
 */
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, type Server, type Socket, createServer } from "node:net";

export interface DeadEndpoints {
  readonly refusedPort: number;
  readonly silentPort: number;
  readonly notTheServicePort: number;
  close(): Promise<void>;
}

const listen = (server: Server) => new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)));
const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

export async function deadEndpoints(): Promise<DeadEndpoints> {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket); // accept, then never answer
  });
  const other = createHttpServer((_req, res) => {
    res.writeHead(404, { "content-type": "text/html" });
    res.end("<html>not here</html>");
  });
  const probe = createServer();
  const refusedPort = await listen(probe);
  await close(probe); // nothing listens there any more: connections are refused
  return {
    refusedPort,
    silentPort: await listen(silent),
    notTheServicePort: await listen(other),
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([close(silent), close(other)]);
    },
  };
}
