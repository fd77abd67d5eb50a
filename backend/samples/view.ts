// A stored sample as the API shows it (GET /metrics, GET /metrics/:id, GET /devices/:id).
import type { MetricsPayload } from '../../shared/payload.js';

/**
 * The payload as the agent sent it, with fleetmon's time in `timestamp` (when the sample was
 * measured, by the backend's clock: receive time minus the agent's age_seconds), as the original
 * API shows it. An agent's own clock, which the original's agent sends as `timestamp`, stays in the
 * stored payload and is shown as `agent_timestamp`.
 */
export function sampleView(payload: MetricsPayload, timestamp: number): Record<string, unknown> {
  const { timestamp: agentTimestamp, ...rest } = payload;
  return { ...rest, timestamp, ...(typeof agentTimestamp === 'number' ? { agent_timestamp: agentTimestamp } : {}) };
}
