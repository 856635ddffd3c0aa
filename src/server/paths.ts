/** Where things live inside OUTBOX_DATA_DIR (shared by the server, the CLI and test helpers). */
import { join } from 'node:path';

export const databaseFile = (dataDir: string) => join(dataDir, 'outbox.sqlite');
