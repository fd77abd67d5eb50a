import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { expect, it } from 'vitest';
import { backoffSeconds, holderIsDead, leaseOwner } from './sender.js';

it('backs off 10 s, doubling, at most an hour', () => {
  expect([1, 2, 3, 4, 10, 50].map(backoffSeconds)).toEqual([10, 20, 40, 80, 3600, 3600]);
});

it('calls a lease holder dead only when it is a gone process of this host and pid namespace', () => {
  const me = leaseOwner();
  const [host, , namespace] = me.split(':');
  expect(host).toBe(hostname());
  // A process that has exited: its pid is free (until reused).
  const gone = spawnSync(process.execPath, ['-e', '0']).pid;
  expect(holderIsDead(`${host}:${gone}:${namespace}:abcd1234`)).toBe(namespace !== '');
  expect(holderIsDead(me)).toBe(false);
  expect(holderIsDead(`${host}:${process.ppid}:${namespace}:abcd1234`)).toBe(false);
  expect(holderIsDead(`other-host:${gone}:${namespace}:abcd1234`)).toBe(false);
  expect(holderIsDead(`${host}:${gone}:1:abcd1234`)).toBe(false);
});
