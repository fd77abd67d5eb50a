// The units of /proc/<pid>/stat: memory in pages, CPU time in clock ticks. Node has no sysconf(3),
// so both come from the auxiliary vector the kernel hands every process, where libc finds them
// too. Pages are not always 4 KiB: arm64 kernels run with 16 KiB (Apple silicon) or 64 KiB pages.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { type CollectorContext, procPath } from './context.js';

export interface KernelUnits {
  pageSizeBytes: number;
  ticksPerSecond: number;
}

/** What x86 and arm64 kernels use by default; the fallback when the auxiliary vector cannot be read. */
export const COMMON_KERNEL_UNITS: KernelUnits = { pageSizeBytes: 4096, ticksPerSecond: 100 };

// Entry types from <linux/auxvec.h>.
const AT_NULL = 0;
const AT_PAGESZ = 6;
const AT_CLKTCK = 17;

const ARCHES_WITH_32_BIT_WORDS = new Set(['arm', 'ia32', 'mips', 'mipsel', 'ppc']);

export interface WordLayout {
  wordBytes: 4 | 8;
  littleEndian: boolean;
}

export const thisProcessLayout = (): WordLayout => ({
  wordBytes: ARCHES_WITH_32_BIT_WORDS.has(process.arch) ? 4 : 8,
  littleEndian: endianness() === 'LE',
});

/** `/proc/self/auxv`: (type, value) pairs of machine words, ending with AT_NULL. */
export function parseAuxv(bytes: Uint8Array, layout: WordLayout): Partial<KernelUnits> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (offset: number): number =>
    layout.wordBytes === 8 ? Number(view.getBigUint64(offset, layout.littleEndian)) : view.getUint32(offset, layout.littleEndian);
  const units: Partial<KernelUnits> = {};
  for (let offset = 0; offset + 2 * layout.wordBytes <= bytes.byteLength; offset += 2 * layout.wordBytes) {
    const type = word(offset);
    const value = word(offset + layout.wordBytes);
    if (type === AT_NULL) break;
    if (type === AT_PAGESZ && value > 0) units.pageSizeBytes = value;
    if (type === AT_CLKTCK && value > 0) units.ticksPerSecond = value;
  }
  return units;
}

/** The agent's own auxiliary vector: same kernel as every process it reads. */
export function readKernelUnits(ctx: CollectorContext): KernelUnits {
  try {
    return { ...COMMON_KERNEL_UNITS, ...parseAuxv(readFileSync(procPath(ctx, 'self', 'auxv')), thisProcessLayout()) };
  } catch {
    // A proc root without our own process (a fixture tree, another pid namespace's procfs).
    return COMMON_KERNEL_UNITS;
  }
}
