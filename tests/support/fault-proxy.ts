/**
 * A fault-injecting TCP proxy for tests and benchmarks: sits on 127.0.0.1:0 in front of an
 * upstream HTTP server and forwards bytes, unless told to refuse, black-hole, reset, delay,
 * randomly fail or throttle them. Faults combine and can be changed at run time with `set()`.
 *
 * Why hand-rolled: Toxiproxy (the usual tool) is a separate Go server that must be downloaded and
 * run beside the tests; its npm packages (`toxiproxy-node-client`) are only HTTP clients for it.
 * No maintained pure-Node package offers refuse/black-hole/reset-after-N/latency/bandwidth at the
 * TCP level, and the whole job fits in this one file over `node:net`, so we own it.
 *
 * Works at the TCP level so it is protocol-blind, except for one thing: `resetAfterBytes` counts
 * bytes after the first `\r\n\r\n` on a connection, i.e. the first request's body (and anything
 * pipelined after it), because "cut the upload N bytes into the chunk" is what tests want.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Faults {
  /** New connections are reset at once (RST); existing ones are reset when this is switched on. */
  refuse: boolean;
  /** Bytes are read and dropped in both directions; connections are never answered or closed. */
  blackhole: boolean;
  /** Reset both sockets once this many request-body bytes have gone upstream on a connection. */
  resetAfterBytes: number | null;
  /** Added to every byte in each direction, in milliseconds. */
  latencyMs: number;
  /**
   * Probability (0..1) that a request/response exchange is reset: either part-way through the
   * request (at a random byte below `failWindowBytes`) or, if the request is shorter, just before
   * the response would reach the client (the server did the work; the client never hears of it).
   */
  failRate: number;
  /** The random cut point of a failing exchange is drawn from [0, failWindowBytes). */
  failWindowBytes: number;
  /** Bytes per second in each direction *of each connection* (paced, no burst); null for unlimited. */
  bandwidthBps: number | null;
  /**
   * Bytes per second in each direction shared by *all* connections — a capped link, as a slow
   * uplink is; null for unlimited. Applies on top of `bandwidthBps`.
   */
  linkBps: number | null;
}

export const NO_FAULTS: Readonly<Faults> = Object.freeze({
  refuse: false,
  blackhole: false,
  resetAfterBytes: null,
  latencyMs: 0,
  failRate: 0,
  failWindowBytes: 700_000,
  bandwidthBps: null,
  linkBps: null,
});

export interface FaultProxyStats {
  /** Connections accepted (including refused and black-holed ones). */
  connections: number;
  /** Connections the proxy reset on purpose (refuse, reset-after, fail-rate). */
  resets: number;
  bytesUp: number;
  bytesDown: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Merges into the current faults; `set(NO_FAULTS)` clears them all. */
  set(faults: Partial<Faults>): void;
  faults(): Readonly<Faults>;
  stats(): FaultProxyStats;
  /** Stops listening and destroys every socket it holds. */
  close(): Promise<void>;
}

/** Small, fast, seedable PRNG (mulberry32), so a failing fault run can be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes buffered per direction before the source is paused: keeps backpressure end to end. */
const HIGH_WATER = 64 * 1024;

interface ProxyState {
  faults: Faults;
  stats: FaultProxyStats;
  rng: () => number;
  /** When the shared link (`linkBps`) is next free, per direction (performance.now() ms). */
  linkFreeAt: Record<Direction, number>;
}

type Direction = 'up' | 'down';

/** One direction of one connection: a FIFO paced by latency and bandwidth. */
class Pipe {
  private queue: { buf: Buffer; at: number }[] = [];
  private queued = 0;
  private freeAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private waitingDrain = false;
  private srcEnded = false;

  constructor(
    private readonly conn: Connection,
    private readonly src: Socket,
    private readonly dst: Socket,
    readonly dir: Direction,
  ) {
    src.on('data', (buf: Buffer) => this.push(buf));
    src.on('end', () => {
      this.srcEnded = true;
      this.run();
    });
  }

  private push(buf: Buffer): void {
    if (this.conn.dead) return;
    if (this.conn.blackholed) {
      this.src.resume(); // read and dropped, never answered
      return;
    }
    this.queue.push({ buf, at: performance.now() + this.conn.state.faults.latencyMs });
    this.queued += buf.length;
    if (this.queued > HIGH_WATER) this.src.pause();
    this.run();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }

  private run(): void {
    if (this.timer || this.waitingDrain) return;
    const { faults } = this.conn.state;
    while (this.queue.length > 0) {
      if (this.conn.dead || this.conn.blackholed) return this.stop();
      const head = this.queue[0]!;
      const bw = faults.bandwidthBps;
      const link = faults.linkBps;
      const linkFreeAt = this.conn.state.linkFreeAt;
      const now = performance.now();
      const due = Math.max(head.at, bw ? this.freeAt : 0, link ? linkFreeAt[this.dir] : 0);
      if (due > now + 0.5) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.run();
        }, due - now);
        return;
      }
      // Pace in small slices so a capped link trickles instead of stalling for seconds.
      const pace = bw && link ? Math.min(bw, link) : (bw ?? link);
      const sliceLen = pace ? Math.min(head.buf.length, Math.max(512, Math.floor(pace / 50))) : head.buf.length;
      let slice = head.buf.subarray(0, sliceLen);
      const allowed = this.conn.allow(this.dir, slice.length, slice);
      if (allowed < slice.length) slice = slice.subarray(0, allowed);
      if (slice.length > 0) {
        const ok = this.dst.write(slice);
        this.conn.forwarded(this.dir, slice.length);
        if (bw) this.freeAt = Math.max(now, this.freeAt) + (slice.length / bw) * 1000;
        if (link) linkFreeAt[this.dir] = Math.max(now, linkFreeAt[this.dir]) + (slice.length / link) * 1000;
        if (!ok) this.waitDrain();
      }
      if (allowed < sliceLen) {
        this.conn.reset();
        return;
      }
      this.queued -= sliceLen;
      if (sliceLen === head.buf.length) this.queue.shift();
      else head.buf = head.buf.subarray(sliceLen);
      if (this.waitingDrain) return;
    }
    if (this.queued <= HIGH_WATER) this.src.resume();
    if (this.srcEnded && !this.conn.dead && !this.conn.blackholed) this.dst.end();
  }

  private waitDrain(): void {
    this.waitingDrain = true;
    this.dst.once('drain', () => {
      this.waitingDrain = false;
      this.run();
    });
  }
}

/** One client connection and its upstream connection, with the per-connection fault state. */
class Connection {
  dead = false;
  blackholed: boolean;
  private headerState = 0; // progress through "\r\n\r\n" of the first request
  private headerBytesInSlice = 0;
  private bodyUp = 0;
  private turn: Direction | null = null;
  private exchangeUp = 0;
  private doomAt: number | null = null;
  private pipes: Pipe[] = [];
  upstream: Socket | null = null;

  constructor(
    readonly state: ProxyState,
    readonly client: Socket,
    target: { host: string; port: number },
    private readonly onGone: (c: Connection) => void,
  ) {
    this.blackholed = state.faults.blackhole;
    // A reset on one side is passed on as a reset, as a transparent network path would show it.
    client.on('error', () => this.reset(true, false));
    client.on('close', () => this.gone());
    if (this.blackholed) {
      this.pipes.push(new Pipe(this, client, client, 'up'));
      return;
    }
    const upstream = connect({ ...target, allowHalfOpen: true });
    this.upstream = upstream;
    upstream.on('error', () => this.reset(true, false));
    upstream.on('close', () => this.gone());
    this.pipes.push(new Pipe(this, client, upstream, 'up'), new Pipe(this, upstream, client, 'down'));
  }

  /** How many bytes of the next `len` may pass in `dir`; fewer means "then reset". */
  allow(dir: Direction, len: number, bytes: Buffer): number {
    const f = this.state.faults;
    if (dir === 'up') {
      if (this.turn !== 'up') {
        // A new exchange begins: roll the dice once for it (always two draws, for replayability).
        this.turn = 'up';
        this.exchangeUp = 0;
        const fail = this.state.rng() < f.failRate;
        const at = Math.floor(this.state.rng() * f.failWindowBytes);
        this.doomAt = fail ? at : null;
      }
      let allowed = len;
      if (this.doomAt !== null) allowed = Math.min(allowed, Math.max(0, this.doomAt - this.exchangeUp));
      if (f.resetAfterBytes !== null) {
        let header = 0;
        while (this.headerState < 4 && header < len) {
          const want = this.headerState % 2 === 0 ? 0x0d : 0x0a;
          const b = bytes[header++];
          this.headerState = b === want ? this.headerState + 1 : b === 0x0d ? 1 : 0;
        }
        this.headerBytesInSlice = header;
        if (this.headerState === 4) allowed = Math.min(allowed, header + Math.max(0, f.resetAfterBytes - this.bodyUp));
      }
      return allowed;
    }
    if (this.turn === 'up' && this.doomAt !== null) return 0; // the response is lost
    this.turn = 'down';
    return len;
  }

  forwarded(dir: Direction, len: number): void {
    if (dir === 'up') {
      this.state.stats.bytesUp += len;
      this.exchangeUp += len;
      if (this.headerState === 4) this.bodyUp += Math.max(0, len - this.headerBytesInSlice);
      this.headerBytesInSlice = 0;
    } else {
      this.state.stats.bytesDown += len;
    }
    const limit = this.state.faults.resetAfterBytes;
    if (dir === 'up' && limit !== null && this.headerState === 4 && this.bodyUp >= limit) this.reset();
  }

  /** Destroys both sockets; with RST when `rst` (what a dropped link or a killed peer looks like). */
  reset(rst = true, counted = rst): void {
    if (this.dead) return;
    this.dead = true;
    if (counted) this.state.stats.resets++;
    for (const p of this.pipes) p.stop();
    for (const s of [this.client, this.upstream]) {
      if (!s || s.destroyed) continue;
      if (rst) s.resetAndDestroy();
      else s.destroy();
    }
    this.gone();
  }

  private gone(): void {
    if (this.client.destroyed && (!this.upstream || this.upstream.destroyed)) {
      this.dead = true;
      for (const p of this.pipes) p.stop();
      this.onGone(this);
    } else if (this.dead) {
      this.client.destroy();
      this.upstream?.destroy();
    }
  }
}

export async function startFaultProxy(opts: {
  target: string;
  seed?: number;
  faults?: Partial<Faults>;
}): Promise<FaultProxy> {
  const target = new URL(opts.target);
  const upstream = { host: target.hostname, port: Number(target.port || 80) };
  const state: ProxyState = {
    faults: { ...NO_FAULTS, ...opts.faults },
    stats: { connections: 0, resets: 0, bytesUp: 0, bytesDown: 0 },
    rng: mulberry32(opts.seed ?? 1),
    linkFreeAt: { up: 0, down: 0 },
  };
  const conns = new Set<Connection>();
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (client) => {
    state.stats.connections++;
    client.setNoDelay(true);
    if (state.faults.refuse) {
      state.stats.resets++;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    conns.add(new Connection(state, client, upstream, (c) => conns.delete(c)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no TCP address');
  const port = address.port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    set(faults) {
      state.faults = { ...state.faults, ...faults };
      if (faults.refuse) for (const c of [...conns]) c.reset();
      if (faults.blackhole) for (const c of conns) c.blackholed = true;
    },
    faults: () => ({ ...state.faults }),
    stats: () => ({ ...state.stats }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of [...conns]) c.reset(false);
        conns.clear();
      }),
  };
}
