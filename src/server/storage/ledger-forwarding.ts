/**
 * The OutputLedger half of a MetadataRepo, forwarded in one place: each engine keeps its
 * compare-and-set steps in a class of their own (sqlite-output-ledger.ts,
 * postgres/pg-output-ledger.ts) and its repository extends this, so callers keep one `repo`
 * for both halves and neither repository repeats the forwarding.
 */
import type { OutputLedger } from './ports.ts';

type Args<K extends keyof OutputLedger> = Parameters<OutputLedger[K]>;

export abstract class ForwardsToLedger implements OutputLedger {
  protected abstract readonly ledger: OutputLedger;

  setOutputHandle(...a: Args<'setOutputHandle'>): Promise<boolean> {
    return this.ledger.setOutputHandle(...a);
  }

  recordSegment(...a: Args<'recordSegment'>): Promise<boolean> {
    return this.ledger.recordSegment(...a);
  }

  listSegments(...a: Args<'listSegments'>): ReturnType<OutputLedger['listSegments']> {
    return this.ledger.listSegments(...a);
  }

  completeIf(...a: Args<'completeIf'>): Promise<boolean> {
    return this.ledger.completeIf(...a);
  }

  setRecordedSha256(...a: Args<'setRecordedSha256'>): Promise<void> {
    return this.ledger.setRecordedSha256(...a);
  }

  listCompletedPending(...a: Args<'listCompletedPending'>): Promise<string[]> {
    return this.ledger.listCompletedPending(...a);
  }
}
