/**
 * Waits (on a condition, never a clock) until the after-completion job has filled a complete
 * video's status: the recorded digest and the served file's digest are non-null
 * (docs/API.md "Which digest proves what"). Bounded in tries, not time.
 */
import type { Client } from './helpers.ts';

export async function settledStatus(c: Client, id: string, tries = 20_000): Promise<any> {
  for (let i = 0; i < tries; i++) {
    const st = (await c.status(id)).json;
    if (st.state === 'complete' && st.sha256 && st.fileSha256) return st;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`video ${id}: sha256 and fileSha256 never appeared`);
}
