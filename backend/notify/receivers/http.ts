// POSTing to an HTTP receiver: accepted means a 2xx answer within the timeout; anything else throws
// an error that says what the receiver answered.
const TIMEOUT_MS = 10_000;

export async function postTo(url: string, init: { headers?: Record<string, string>; body: string }): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`POST ${redact(url)}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status >= 300) throw new Error(`POST ${redact(url)} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

/** A webhook URL is a secret (its path or query is the key): errors and logs show only its origin. */
export function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(a URL)';
  }
}

export const jsonHeaders = { 'content-type': 'application/json' };
