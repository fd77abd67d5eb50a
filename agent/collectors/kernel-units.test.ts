import { describe, expect, it } from 'vitest';
import { hostContext } from './context.js';
import { COMMON_KERNEL_UNITS, parseAuxv, readKernelUnits } from './kernel-units.js';
import { fixtureContext } from './test-fixtures.js';

/** An auxiliary vector as the kernel writes it: (type, value) words, AT_NULL last. */
function auxv(pairs: [number, number][], wordBytes: 4 | 8, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array((pairs.length + 1) * 2 * wordBytes);
  const view = new DataView(bytes.buffer);
  [...pairs, [0, 0] as [number, number]].flat().forEach((value, i) => {
    if (wordBytes === 8) view.setBigUint64(i * 8, BigInt(value), littleEndian);
    else view.setUint32(i * 4, value, littleEndian);
  });
  return bytes;
}

// AT_HWCAP 16, AT_PAGESZ 6, AT_CLKTCK 17, AT_UID 11, as an arm64 kernel with 64 KiB pages lists them.
const ARM64_64K: [number, number][] = [[16, 0x8fff], [6, 65536], [17, 100], [11, 1000]];

describe('parseAuxv', () => {
  it('finds the page size and clock ticks in 64-bit little-endian words', () => {
    expect(parseAuxv(auxv(ARM64_64K, 8, true), { wordBytes: 8, littleEndian: true })).toEqual({ pageSizeBytes: 65536, ticksPerSecond: 100 });
  });

  it('reads 32-bit and big-endian words', () => {
    expect(parseAuxv(auxv(ARM64_64K, 4, true), { wordBytes: 4, littleEndian: true })).toEqual({ pageSizeBytes: 65536, ticksPerSecond: 100 });
    expect(parseAuxv(auxv(ARM64_64K, 8, false), { wordBytes: 8, littleEndian: false })).toEqual({ pageSizeBytes: 65536, ticksPerSecond: 100 });
  });

  it('stops at AT_NULL and ignores a torn last entry', () => {
    const bytes = auxv([[6, 16384]], 8, true);
    const withGarbage = new Uint8Array([...bytes, ...auxv([[17, 1024]], 8, true), 1, 2, 3]);
    expect(parseAuxv(withGarbage, { wordBytes: 8, littleEndian: true })).toEqual({ pageSizeBytes: 16384 });
  });
});

describe('readKernelUnits', () => {
  it('falls back to 4 KiB pages and 100 ticks without an auxiliary vector', () => {
    expect(readKernelUnits(fixtureContext('proc'))).toEqual(COMMON_KERNEL_UNITS);
  });

  it('reads this process: a power-of-two page size, and the 100 ticks every Linux port uses today', () => {
    const units = readKernelUnits(hostContext);
    expect(Math.log2(units.pageSizeBytes) % 1).toBe(0);
    expect(units.pageSizeBytes).toBeGreaterThanOrEqual(4096);
    expect(units.ticksPerSecond).toBe(100);
  });
});
