/**
 * TCP on 127.0.0.1 for the harnesses that start servers without a readiness line (nginx, Swift):
 * a free port to name in their configuration before they start, and whether a port accepts.
 */
import { connect, createServer } from 'node:net';

/** A free port, closed again at once (a config must name it before its server starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts a TCP connection on the port right now. */
export function acceptsConnection(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
