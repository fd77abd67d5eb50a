import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { type Route, receiversFor } from './routing.js';
import { isSilenced } from './silence.js';
import type { SilenceRow } from '../store/schema.js';

const route = (r: Partial<Route> & Pick<Route, 'receivers'>): Route => ({ device: null, rule: null, subject: null, severity: null, repeatIntervalSeconds: null, continue: false, groupBy: null, groupWaitSeconds: 30, groupIntervalSeconds: 300, escalation: null, ...r });
const alone = { groupKey: null, groupWaitSeconds: 0, groupIntervalSeconds: 0 };
const diskOnDb1 = { deviceId: 'db-1', rule: 'disk_space_low', subject: '/var', severity: 'critical' as const };

describe('receiversFor', () => {
  it('takes the first matching route, and the next ones while they say continue', () => {
    const routes = [
      route({ device: picomatch('web-*'), receivers: ['web'] }),
      route({ device: picomatch('db-*'), receivers: ['phone'], repeatIntervalSeconds: 14400, continue: true }),
      route({ severity: 'critical', receivers: ['mail', 'phone'] }),
      route({ receivers: ['chat'] }),
    ];
    expect(receiversFor(diskOnDb1, routes)).toEqual([
      { receiver: 'phone', repeatIntervalSeconds: 14400, ...alone },
      { receiver: 'mail', repeatIntervalSeconds: null, ...alone },
    ]);
    expect(receiversFor({ ...diskOnDb1, deviceId: 'web-1' }, routes)).toEqual([{ receiver: 'web', repeatIntervalSeconds: null, ...alone }]);
    expect(receiversFor({ ...diskOnDb1, deviceId: 'nas', severity: 'warning' }, routes)).toEqual([{ receiver: 'chat', repeatIntervalSeconds: null, ...alone }]);
  });

  it('matches rule, subject and severity exactly; no route, no receiver', () => {
    expect(receiversFor(diskOnDb1, [route({ rule: 'cpu_high', receivers: ['a'] }), route({ subject: '/', receivers: ['b'] }), route({ severity: 'warning', receivers: ['c'] })])).toEqual([]);
    expect(receiversFor(diskOnDb1, [route({ rule: 'disk_space_low', subject: '/var', receivers: ['a'] })])).toEqual([{ receiver: 'a', repeatIntervalSeconds: null, ...alone }]);
    expect(receiversFor(diskOnDb1, [])).toEqual([]);
  });
});

it('puts a message in the group of its route: the device or the rule', () => {
  expect(receiversFor(diskOnDb1, [route({ receivers: ['a'], groupBy: 'device' })])).toEqual([{ receiver: 'a', repeatIntervalSeconds: null, groupKey: 'device=db-1', groupWaitSeconds: 30, groupIntervalSeconds: 300 }]);
  expect(receiversFor(diskOnDb1, [route({ receivers: ['a'], groupBy: 'rule', groupWaitSeconds: 5 })])).toEqual([{ receiver: 'a', repeatIntervalSeconds: null, groupKey: 'rule=disk_space_low', groupWaitSeconds: 5, groupIntervalSeconds: 300 }]);
});

describe('isSilenced', () => {
  const silence = (s: Partial<SilenceRow>): SilenceRow => ({ id: 1, device: null, rule: null, subject: null, severity: null, starts_at: 100, ends_at: 200, comment: '', author: '', created_at: 0, ...s });
  it('holds within its window, on every matcher it has', () => {
    const s = [silence({ device: 'db-*', rule: 'disk_space_low' })];
    expect(isSilenced(diskOnDb1, s, 100)).toBe(true);
    expect(isSilenced(diskOnDb1, s, 99)).toBe(false);
    expect(isSilenced(diskOnDb1, s, 200)).toBe(false);
    expect(isSilenced({ ...diskOnDb1, rule: 'cpu_high' }, s, 150)).toBe(false);
    expect(isSilenced({ ...diskOnDb1, deviceId: 'web-1' }, s, 150)).toBe(false);
    expect(isSilenced(diskOnDb1, [silence({ severity: 'warning' })], 150)).toBe(false);
  });
});
