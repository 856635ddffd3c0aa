/**
 * Browser storage: ask for persistence before the first recording (otherwise the browser may
 * evict the outbox under storage pressure — recordings not yet uploaded would be lost), and
 * report usage from estimate().
 */
export interface StorageInfo {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

export async function requestPersistence(): Promise<boolean | null> {
  const storage = navigator.storage;
  if (!storage?.persist) return null;
  try {
    if (await storage.persisted()) return true;
    return await storage.persist();
  } catch {
    return null;
  }
}

export async function storageInfo(): Promise<StorageInfo> {
  const storage = navigator.storage;
  if (!storage?.estimate) return { usage: null, quota: null, persisted: null };
  try {
    const [est, persisted] = await Promise.all([storage.estimate(), storage.persisted?.() ?? Promise.resolve(null)]);
    return { usage: est.usage ?? null, quota: est.quota ?? null, persisted };
  } catch {
    return { usage: null, quota: null, persisted: null };
  }
}
