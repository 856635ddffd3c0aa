/**
 * SmallObjects on the local filesystem: `<root>/small/<videoId>/<name>`, each replaced whole
 * and atomically (atomic-file.ts: temp file in `<root>/tmp/small`, fsync, rename, directory
 * fsync), so a reader sees the old object or the new one.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isServerId } from '../../ids.ts';
import type { SmallObjectName, SmallObjects } from '../ports.ts';
import { readFileOrNull, writeFileAtomically } from './atomic-file.ts';
import { clearTempDir, DurableDirs } from './fs-io.ts';

const NAMES: ReadonlySet<string> = new Set<SmallObjectName>(['head', 'poster']);

export class DiskSmallObjects implements SmallObjects {
  private readonly smallDir: string;
  private readonly tmpDir: string;
  private readonly dirs: DurableDirs;

  constructor(root: string) {
    this.smallDir = join(root, 'small');
    this.tmpDir = join(root, 'tmp', 'small');
    this.dirs = new DurableDirs(this.smallDir);
  }

  async init(): Promise<void> {
    await mkdir(this.smallDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    await clearTempDir(this.tmpDir);
  }

  private check(videoId: string, name: SmallObjectName): void {
    if (!isServerId(videoId)) throw new TypeError('invalid video id for an object path');
    if (!NAMES.has(name)) throw new TypeError('invalid small object name');
  }

  async put(videoId: string, name: SmallObjectName, bytes: Buffer): Promise<void> {
    this.check(videoId, name);
    await this.dirs.writeInto(videoId, (dir) => writeFileAtomically(join(dir, name), [bytes], this.tmpDir));
  }

  async get(videoId: string, name: SmallObjectName): Promise<Buffer | null> {
    this.check(videoId, name);
    return readFileOrNull(join(this.smallDir, videoId, name));
  }

  async deleteAll(videoId: string): Promise<void> {
    if (!isServerId(videoId)) throw new TypeError('invalid video id for an object path');
    this.dirs.forget(videoId);
    await rm(join(this.smallDir, videoId), { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}
