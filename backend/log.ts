// The backend's log: plain lines on stderr, which systemd's journal keeps with timestamps.
export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export const consoleLogger: Logger = {
  info: (...args) => console.error('[fleetmon]', ...args),
  warn: (...args) => console.error('[fleetmon] warning:', ...args),
  error: (...args) => console.error('[fleetmon] error:', ...args),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
