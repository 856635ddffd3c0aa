/**
 * Form values ↔ the shared zod `Settings` schema. The form speaks user units (seconds for
 * lengths, ms for the backoff base as the schema does); the schema stays the one validator.
 */
import { Settings } from '../../shared/settings.ts';

export type SettingsField = 'concurrency' | 'maxAttempts' | 'backoffBaseMs' | 'bandwidthCapKbps' | 'chunkMs' | 'keepLocalCopy';

export interface SettingsFormValues {
  concurrency: string;
  maxAttempts: string;
  backoffBaseMs: string;
  bandwidthCapKbps: string;
  /** Seconds, as typed (e.g. "2" or "1.5"). */
  chunkSeconds: string;
  keepLocalCopy: boolean;
}

export function toFormValues(s: Settings): SettingsFormValues {
  return {
    concurrency: String(s.concurrency),
    maxAttempts: String(s.maxAttempts),
    backoffBaseMs: String(s.backoffBaseMs),
    bandwidthCapKbps: String(s.bandwidthCapKbps),
    chunkSeconds: String(s.chunkMs / 1000),
    keepLocalCopy: s.keepLocalCopy,
  };
}

function num(text: string): number {
  const t = text.trim();
  return t === '' ? Number.NaN : Number(t);
}

export type ParseResult = { ok: true; value: Settings } | { ok: false; errors: Partial<Record<SettingsField, string>> };

/** Validates against the shared schema; `base` supplies the fields the form does not show. */
export function parseSettingsForm(v: SettingsFormValues, base: Settings): ParseResult {
  const candidate = {
    ...base,
    concurrency: num(v.concurrency),
    maxAttempts: num(v.maxAttempts),
    backoffBaseMs: num(v.backoffBaseMs),
    bandwidthCapKbps: num(v.bandwidthCapKbps),
    chunkMs: Math.round(num(v.chunkSeconds) * 1000),
    keepLocalCopy: v.keepLocalCopy,
  };
  const r = Settings.safeParse(candidate);
  if (r.success) return { ok: true, value: r.data };
  const errors: Partial<Record<SettingsField, string>> = {};
  for (const issue of r.error.issues) {
    const field = issue.path[0];
    if (typeof field === 'string' && field in MESSAGES && !errors[field as SettingsField]) {
      errors[field as SettingsField] = MESSAGES[field as SettingsField];
    }
  }
  return { ok: false, errors };
}

const MESSAGES: Record<SettingsField, string> = {
  concurrency: 'A whole number from 1 to 4.',
  maxAttempts: 'A whole number from 1 to 10.',
  backoffBaseMs: 'A whole number of milliseconds from 100 to 60000.',
  bandwidthCapKbps: 'A whole number of kbit/s, 0 for no cap.',
  chunkMs: 'Between 0.5 and 10 seconds.',
  keepLocalCopy: 'Choose yes or no.',
};
