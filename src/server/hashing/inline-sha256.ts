/**
 * Sha256Service on the calling thread (node:crypto). Used where a worker is not worth it
 * (tools, tests of the storage layer) and as the reference the worker implementation is
 * checked against by the contract suite.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Sha256Service } from './sha256-service.ts';

export class InlineSha256 implements Sha256Service {
  /** null: broken (updated without a reset), see Sha256Service. */
  private readonly running = new Map<string, Hash | null>();

  async digest(bytes: Uint8Array): Promise<string> {
    return createHash('sha256').update(bytes).digest('hex');
  }

  reset(key: string): void {
    this.running.set(key, createHash('sha256'));
  }

  async update(key: string, bytes: Uint8Array): Promise<void> {
    const hash = this.running.get(key);
    if (hash) hash.update(bytes);
    else this.running.set(key, null);
  }

  async peek(key: string): Promise<string | null> {
    return this.running.get(key)?.copy().digest('hex') ?? null;
  }

  drop(key: string): void {
    this.running.delete(key);
  }

  async close(): Promise<void> {
    this.running.clear();
  }
}
