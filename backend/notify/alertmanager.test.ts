import { expect, it } from 'vitest';
import { alertmanagerMessage, fingerprintOf } from './alertmanager.js';
import { testNotice } from './notice.js';

it("computes Prometheus' label-set fingerprint (prometheus/common model signature_test.go's value)", () => {
  expect(fingerprintOf({ name: 'garland, briggs', fear: 'love is not enough' })).toBe((5799056148416392346n).toString(16).padStart(16, '0'));
  expect(fingerprintOf({})).toBe('cbf29ce484222325');
});

it('prints groupKey like Go prints a LabelSet, names sorted and values quoted', () => {
  const message = alertmanagerMessage([{ ...testNotice('am', 0), deviceId: 'db "1"', rule: 'r', subject: '/' }], { externalUrl: 'http://x' });
  expect(message.groupKey).toBe('{}:{device="db \\"1\\"", rule="r", subject="/"}');
});
