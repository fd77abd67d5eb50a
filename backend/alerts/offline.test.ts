import { describe, expect, it } from 'vitest';
import { evaluateSilence, isSilent, nextIntervalEstimate } from './offline.js';
import { DEFAULT_RULES, silenceLimit } from './rules.js';

const offline = DEFAULT_RULES.find((r) => r.id === 'device_offline')!;

describe('silence limit', () => {
  it('is 3 intervals, and at least 60 s', () => {
    expect(silenceLimit(offline, 10)).toBe(60);
    expect(silenceLimit(offline, 30)).toBe(90);
    expect(silenceLimit(offline, null)).toBe(60);
    expect(silenceLimit({ threshold: 120, factor: 5 }, 30)).toBe(150);
  });
});

describe('evaluateSilence', () => {
  const device = { deviceId: 'web-1', lastSeen: 1000, intervalSeconds: 30, offlineOpen: false };

  it('fires Device not reporting (critical) only past the limit', () => {
    expect(evaluateSilence(device, offline, 1090)).toBeNull();
    expect(evaluateSilence(device, offline, 1090.5)).toEqual(
      expect.objectContaining({ kind: 'fired', rule: 'device_offline', alert: 'Device not reporting', severity: 'critical', value: 90.5, threshold: 90 }),
    );
    expect(isSilent(1000, 30, offline, 1090)).toBe(false);
    expect(isSilent(1000, 30, offline, 1091)).toBe(true);
  });

  it('fires once: not again while the alert is open, and not when the rule is disabled', () => {
    expect(evaluateSilence({ ...device, offlineOpen: true }, offline, 5000)).toBeNull();
    expect(evaluateSilence(device, { ...offline, enabled: false }, 5000)).toBeNull();
  });
});

describe('nextIntervalEstimate', () => {
  it('takes what the agent declares', () => {
    expect(nextIntervalEstimate(10, 300, 15)).toBe(15);
  });

  it('otherwise learns from the gaps between samples, ignoring outages', () => {
    expect(nextIntervalEstimate(null, null, undefined)).toBeNull();
    expect(nextIntervalEstimate(null, 20, undefined)).toBe(20);
    expect(nextIntervalEstimate(20, 30, undefined)).toBe(22);
    expect(nextIntervalEstimate(20, 3600, undefined)).toBe(20);
  });
});
