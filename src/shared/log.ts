/**
 * Structured logging port for code that runs in the page and the worker (the server uses pino,
 * whose `(fields, event)` shape this mirrors). Events are stable names, fields are data;
 * never log tokens or chunk bytes.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(fields: Record<string, unknown>, event: string): void;
  info(fields: Record<string, unknown>, event: string): void;
  warn(fields: Record<string, unknown>, event: string): void;
  error(fields: Record<string, unknown>, event: string): void;
}

/** JSON lines on the console, tagged with a module name such as `outbox:sw:pipeline`. */
export function consoleLogger(module: string, minLevel: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(minLevel);
  const emit = (level: LogLevel) => (fields: Record<string, unknown>, event: string) => {
    if (order.indexOf(level) < min) return;
    console[level === 'debug' ? 'log' : level](JSON.stringify({ level, module, event, ...fields }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
