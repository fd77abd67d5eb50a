// Realistic, varied payloads for load: the fleet simulator's machines, pre-serialised so the load
// generator spends its time sending, not building JSON.
import type { MetricsPayload } from '../../shared/payload.js';
import { createSimulatedMachine } from '../../agent/sim/machine.js';
import { createRng } from '../../agent/sim/random.js';

/**
 * `agents` machines × `ticks` samples each, interleaved as agents send them, from `start` (Unix
 * seconds; a bench whose backend keeps a short --retention passes a recent time).
 */
export function payloadPool(agents: number, ticks: number, seed = 42, start = 1_700_000_000): MetricsPayload[] {
  const rng = createRng(seed);
  const machines = Array.from({ length: agents }, (_, i) => createSimulatedMachine(`sim-${String(i).padStart(5, '0')}`, rng, { faultRate: 0.1, intervalSeconds: 10 }));
  const pool: MetricsPayload[] = [];
  for (let t = 0; t < ticks; t++) {
    for (const machine of machines) {
      // Without sample_id, so that cycling through the pool stores every request anew.
      const { sample_id: _ignored, ...payload } = machine.next(start + t * 10);
      pool.push(payload as MetricsPayload);
    }
  }
  return pool;
}
