/**
 * Reading the bearer token from the server's start-up link (`http://host/#token=…`).
 * The token travels in the fragment so it never reaches a server log or a Referer header;
 * the app stores it and removes it from the address bar at once.
 */

/** The token in a URL fragment such as `#token=abc` or `#a=1&token=abc`, and the fragment without it. */
export function takeTokenFromHash(hash: string): { token: string | null; rest: string } {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw === '') return { token: null, rest: '' };
  const params = new URLSearchParams(raw);
  const token = params.get('token');
  if (token === null) return { token: null, rest: hash };
  params.delete('token');
  const rest = params.toString();
  return { token: token.trim() === '' ? null : token.trim(), rest: rest === '' ? '' : `#${rest}` };
}

/**
 * What the user pasted into the sign-in field: either the whole start-up link or the bare token.
 * Returns null when there is nothing usable.
 */
export function parseTokenInput(input: string): string | null {
  const text = input.trim();
  if (text === '') return null;
  const hashAt = text.indexOf('#');
  if (hashAt >= 0) return takeTokenFromHash(text.slice(hashAt)).token;
  if (/\s/.test(text) || /^https?:/i.test(text)) return null;
  return text;
}
