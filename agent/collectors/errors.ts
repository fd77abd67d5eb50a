// procfs and sysfs fail in ordinary ways (a process exits, a sensor is powered down); collectors
// tell those apart from real faults by the error code.

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

export const hasErrorCode = (err: unknown, ...codes: string[]): boolean => {
  const code = errorCode(err);
  return code !== undefined && codes.includes(code);
};

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
