import { describe, expect, it } from 'vitest';
import { parseProcPidStat, programFromCmdline, scanProcesses } from './processes.js';
import { fixtureContext } from './test-fixtures.js';

describe('parseProcPidStat', () => {
  it('ends comm at the last parenthesis', () => {
    expect(parseProcPidStat('1337 (a) Z (b) S 1 1337 1337 0 -1')).toEqual({ comm: 'a) Z (b', state: 'S' });
    expect(parseProcPidStat('1402 (Web Content) x) R 1340')).toEqual({ comm: 'Web Content) x', state: 'R' });
    expect(parseProcPidStat('2210 (postgres) Z 1 2210')).toEqual({ comm: 'postgres', state: 'Z' });
  });

  it('rejects a line without comm', () => {
    expect(parseProcPidStat('')).toBeNull();
  });
});

describe('programFromCmdline', () => {
  it('is the basename of argv[0]', () => {
    expect(programFromCmdline('/usr/bin/prometheus-node-exporter\0--collector.systemd\0')).toBe('prometheus-node-exporter');
    expect(programFromCmdline('')).toBe('');
  });
});

describe('scanProcesses', () => {
  it('counts zombies and finds critical processes by comm or by argv[0]', async () => {
    const scan = await scanProcesses(fixtureContext('proc'), [
      'sshd',
      'prometheus-node-exporter',
      'postgres',
      'nginx',
      'Web Content) x',
      'init',
      'firefox',
    ]);
    expect(scan).toEqual({
      // postgres and sh; "a) Z (b" is sleeping, not a zombie.
      zombie_processes: 2,
      critical_processes: {
        sshd: true,
        // comm is cut to "prometheus-node"; cmdline has the full name.
        'prometheus-node-exporter': true,
        // Only a zombie postgres is left: it is not running.
        postgres: false,
        nginx: false,
        'Web Content) x': true,
        init: true,
        firefox: true,
      },
    });
  });

  it('works with no critical processes to look for', async () => {
    expect(await scanProcesses(fixtureContext('proc'), [])).toEqual({ zombie_processes: 2, critical_processes: {} });
  });

  it('fails when the proc root does not exist', async () => {
    await expect(scanProcesses(fixtureContext('no-such-proc'), ['sshd'])).rejects.toThrow(/ENOENT/);
  });

  it('scans the real /proc: this test runner is a running node', async () => {
    const scan = await scanProcesses({ procRoot: '/proc', sysRoot: '/sys' }, ['node', 'no-such-program-here']);
    expect(scan.critical_processes).toEqual({ node: true, 'no-such-program-here': false });
  });
});
