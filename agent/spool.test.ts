import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../backend/test/helpers.js';
import { Spool } from './spool.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => dir?.remove());

const warnings: string[] = [];
const log = { warn: (m: string) => warnings.push(m) };
const sample = (id: string) => ({ agent_id: 'h', sample_id: id, cpu: { total_percent: 1 } });

describe('Spool', () => {
  it('gives samples back oldest first, also after being reopened', async () => {
    dir = tempDir();
    const spool = await Spool.open(dir.path, 1_000_000, log);
    await spool.put(sample('b'), 2000);
    await spool.put(sample('a'), 1000);
    await spool.put(sample('c'), 3000);
    const again = await Spool.open(dir.path, 1_000_000, log);
    expect(again.count).toBe(3);
    const first = await again.oldest();
    expect(first).toMatchObject({ collectedAt: 1000, payload: sample('a') });
    await again.remove(first!.name);
    expect((await again.oldest())?.payload.sample_id).toBe('b');
    expect(readdirSync(dir.path)).toHaveLength(2);
  });

  it('drops the oldest samples past its cap, and says so', async () => {
    dir = tempDir();
    warnings.length = 0;
    const oneSize = Buffer.byteLength(JSON.stringify({ collected_at: 1000, payload: sample('s0') }));
    const spool = await Spool.open(dir.path, oneSize * 3, log);
    for (let i = 0; i < 5; i++) await spool.put(sample(`s${i}`), 1000 + i);
    expect(spool.count).toBe(3);
    expect(spool.dropped).toBe(2);
    expect((await spool.oldest())?.payload.sample_id).toBe('s2');
    expect(warnings.join('\n')).toMatch(/dropped the 1 oldest sample\(s\) \(2 since start\)/);
  });

  it('removes half-written files and sets unreadable ones aside', async () => {
    dir = tempDir();
    warnings.length = 0;
    writeFileSync(join(dir.path, '000000000001000-a.json.tmp'), '{"coll');
    writeFileSync(join(dir.path, '000000000001500-b.json'), 'not json');
    writeFileSync(join(dir.path, '000000000002000-c.json'), JSON.stringify({ collected_at: 2000, payload: sample('c') }));
    const spool = await Spool.open(dir.path, 1_000_000, log);
    expect((await spool.oldest())?.payload.sample_id).toBe('c');
    expect(readdirSync(dir.path).sort()).toEqual(['000000000001500-b.json.bad', '000000000002000-c.json']);
    expect(warnings[0]).toMatch(/unreadable/);
  });
});
