import { describe, expect, it } from 'vitest';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import { newVideo, rec, twoNodes, untilSomeoneWaitsOnALock } from '../support/pg-nodes.ts';
import { usePostgres } from '../support/postgres.ts';
import { runOutputLedgerContract } from './output-ledger.contract.ts';

const { cluster } = usePostgres();
const open = (connectionString: string) => PgMetadataRepo.open({ connectionString });

runOutputLedgerContract('PgMetadataRepo', {
  fresh: async () => open(await cluster().freshDatabase()),
  twoNodes: async () => {
    const url = await cluster().freshDatabase();
    return [await open(url), await open(url)];
  },
});

describe('PgMetadataRepo output ledger across nodes, interleavings pinned', () => {
  const seg = (i: number, etag: string | null) => ({ number: i + 1, first: i, end: i + 1, offset: i * 10, bytes: 10, etag });

  it('a recordSegment that waited for another node’s uncommitted prefix re-checks it and refuses, leaving no chunk row', async () => {
    const { a, user, raw, close } = await twoNodes(cluster());
    await a.createVideo(newVideo('V1', user.id));
    await raw.query('BEGIN');
    await raw.query('UPDATE videos SET assembled_chunks = 1, assembled_bytes = 10, output_segments = 1 WHERE id = $1', ['V1']);
    const pending = a.recordSegment('V1', seg(0, '"late"'), 0, 20, { index: 0, size: 10, sha256: 'c'.repeat(64) });
    await untilSomeoneWaitsOnALock(raw, pending);
    await raw.query('COMMIT');
    expect(await pending).toBe(false);
    expect(await a.getChunk('V1', 0)).toBeNull();
    expect(await a.listSegments('V1')).toEqual([]);
    expect(await a.getVideo('V1')).toMatchObject({ assembledChunks: 1, outputSegments: 1, storedBytes: 0 });
    await close();
  });

  it('the in-order and the out-of-order path claiming one index on two nodes: one row, no deadlock', async () => {
    const { a, b, user, close } = await twoNodes(cluster());
    const ROUNDS = 30;
    for (let n = 0; n < ROUNDS; n++) await a.createVideo(newVideo(`V${n}`, user.id, rec(n)));
    const results = await Promise.all(
      Array.from({ length: ROUNDS }, (_, n) =>
        Promise.all([
          a.insertChunk(`V${n}`, { index: 0, size: 10, sha256: 'a'.repeat(64) }, 20),
          b.recordSegment(`V${n}`, seg(0, null), 0, 20, { index: 0, size: 10, sha256: 'b'.repeat(64) }),
        ]),
      ),
    );
    for (const [n, [stored, recorded]] of results.entries()) {
      expect(stored !== recorded).toBe(true);
      const v = (await a.getVideo(`V${n}`))!;
      expect(v).toMatchObject({ storedBytes: 10, assembledChunks: recorded ? 1 : 0 });
      expect((await b.getChunk(`V${n}`, 0))!.sha256).toBe((recorded ? 'b' : 'a').repeat(64));
    }
    await close();
  });
});
