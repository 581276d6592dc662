// Two ways a provider endpoint fails: a port that refuses connections, and a server that accepts the
// connection and then never says a word (no HTTP answer, no TLS handshake). Both live in this process on
// loopback; the CLI under test runs in a child process (test/harness/cli.ts spawns it asynchronously, so
// this event loop keeps accepting while the CLI waits).
import { type AddressInfo, type Server, type Socket, createServer } from "node:net";

const listen = (server: Server) => new Promise<number>((done) => server.listen(0, "127.0.0.1", () => done((server.address() as AddressInfo).port)));

/** A loopback port where nothing listens: it was bound, then released. */
export async function refusedPort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

export interface SilentServer {
  readonly port: number;
  /** How many connections it accepted (proves the client got through and then waited). */
  readonly accepted: () => number;
  /** performance.now() of the first connection accepted: when the client's first request began. */
  readonly firstAcceptAt: () => number | undefined;
  /**
   * performance.now() when the client gave up: the last of its connections closed (by the client's own
   * timeout, or by its process ending). Undefined while any connection is still open.
   */
  readonly gaveUpAt: () => number | undefined;
  close(): Promise<void>;
}

/**
 * Accepts every connection, answers nothing (no HTTP answer, no TLS handshake), never closes first. What
 * the client sends is read and dropped, so that its closing the connection is seen when it happens.
 */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let firstAt: number | undefined;
  let lastCloseAt: number | undefined;
  const server = createServer((socket) => {
    accepted++;
    firstAt ??= performance.now();
    sockets.add(socket);
    socket.resume();
    socket.on("error", () => undefined); // the client resets when it gives up
    socket.on("close", () => {
      sockets.delete(socket);
      lastCloseAt = performance.now();
    });
  });
  const port = await listen(server);
  return {
    port,
    accepted: () => accepted,
    firstAcceptAt: () => firstAt,
    gaveUpAt: () => (sockets.size === 0 ? lastCloseAt : undefined),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
