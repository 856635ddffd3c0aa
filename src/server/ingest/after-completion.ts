/**
 * TEMPORARY placeholder with the agreed signatures so this branch builds until s4-after's
 * module is merged (it replaces this file). Does nothing.
 */
import type { IngestContext } from './context.ts';

export function scheduleAfterCompletion(_ctx: IngestContext, _videoId: string): void {}
export async function catchUpAfterCompletion(_ctx: IngestContext): Promise<void> {}
export async function closeAfterCompletion(_ctx: IngestContext): Promise<void> {}
