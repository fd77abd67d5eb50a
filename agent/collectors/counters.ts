// Kernel counters (network bytes, disk sectors) only grow, until a driver reload or a 32-bit wrap
// starts them again from 0; interval figures must not turn that into a negative or a huge number.

/** Increase of a counter; one that went backwards was reset (driver reload, wrap), so it counts from 0. */
export const counterDelta = (before: number, after: number): number => (after >= before ? after - before : after);
