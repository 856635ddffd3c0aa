/** Wires a pipeline to fresh fakes; every test starts from an empty IndexedDB. */
import type { Settings } from '../../src/shared/settings.ts';
import type { Outbox } from '../../src/shared/outbox/store.ts';
import { UploadPipeline } from '../../src/sw/pipeline/pipeline.ts';
import { FakeClock, FakeConnectivity, FakeServer, IDBFactory, freshOutbox, recordingLogger } from './fakes.ts';

export const REC_A = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
export const REC_B = '7a1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

export interface Harness {
  factory: IDBFactory;
  outbox: Outbox;
  server: FakeServer;
  clock: FakeClock;
  net: FakeConnectivity;
  log: ReturnType<typeof recordingLogger>;
  pipeline: UploadPipeline;
  /** A second pipeline over the same IndexedDB (a restarted worker). */
  restart(): Promise<UploadPipeline>;
}

export async function setup(opts: { settings?: Partial<Settings>; autoClock?: boolean; online?: boolean } = {}): Promise<Harness> {
  const factory = new IDBFactory();
  const clock = new FakeClock(opts.autoClock ?? true);
  const outbox = await freshOutbox(factory, () => clock.now());
  await outbox.saveSettings({ jitterRatio: 0, ...opts.settings });
  const server = new FakeServer();
  server.getToken = () => outbox.getToken();
  const net = new FakeConnectivity(opts.online ?? true);
  const log = recordingLogger();
  const make = (ob: Outbox) =>
    new UploadPipeline({ outbox: ob, transport: server, clock, connectivity: net, logger: log, random: () => 0.5 });
  const h: Harness = {
    factory, outbox, server, clock, net, log,
    pipeline: make(outbox),
    async restart() {
      const ob = await freshOutbox(factory, () => clock.now());
      return make(ob);
    },
  };
  return h;
}

/** Lets queued promise callbacks and zero-delay timers run. */
/** Yields to timers until `cond` holds (fake-indexeddb schedules on timers; a loaded machine needs more rounds). */
export async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
}

export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}
