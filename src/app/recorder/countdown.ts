/**
 * The 3-2-1 before recording starts. Resolves after the last second; rejects with an
 * `AbortError` DOMException as soon as `signal` aborts (Cancel, Escape), so nothing is recorded.
 */
export function runCountdown(seconds: number, onTick: (left: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('Countdown cancelled', 'AbortError'));
    let left = seconds;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const step = () => {
      if (left <= 0) {
        signal.removeEventListener('abort', abort);
        return resolve();
      }
      onTick(left);
      left--;
      timer = setTimeout(step, 1000);
    };
    const abort = () => {
      if (timer) clearTimeout(timer);
      reject(new DOMException('Countdown cancelled', 'AbortError'));
    };
    signal.addEventListener('abort', abort, { once: true });
    step();
  });
}
