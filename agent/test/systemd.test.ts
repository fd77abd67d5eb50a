// The shipped systemd units must be valid for systemd itself, and hardened as documented.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../backend/test/helpers.js';

const units = ['agent/fleetmon-agent.service', 'backend/fleetmon-backend.service'].map((u) => join(repoRoot, u));
const hasSystemdAnalyze = existsSync('/usr/bin/systemd-analyze') || existsSync('/bin/systemd-analyze');

describe('systemd units', () => {
  it.skipIf(!hasSystemdAnalyze)('pass systemd-analyze verify', async () => {
    // verify checks ExecStart's binary exists: /usr/bin/node is where distributions install node.
    const { stderr } = await promisify(execFile)('systemd-analyze', ['verify', ...units]).catch((err: { stderr: string }) => ({ stderr: err.stderr }));
    expect(stderr.split('\n').filter((l) => l.includes('fleetmon'))).toEqual([]);
  });

  it.each(units)('%s restarts on failure, reads an EnvironmentFile and runs unprivileged and sandboxed', (unit) => {
    const text = readFileSync(unit, 'utf8');
    for (const line of ['Restart=on-failure', 'DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'KillSignal=SIGTERM']) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^EnvironmentFile=\/etc\/fleetmon\/\w+\.env$/m);
    expect(text).toMatch(/^StateDirectory=fleetmon-(agent|backend)$/m);
  });

  it("hands the agent its token through systemd's credentials, readable by the service alone", () => {
    const text = readFileSync(units[0]!, 'utf8');
    expect(text).toMatch(/^LoadCredential=token:\/etc\/fleetmon\/agent\.token$/m);
    expect(text).toMatch(/^Environment=FLEETMON_TOKEN_FILE=%d\/token$/m);
  });

  it('leaves /proc complete for the agent, which counts every process', () => {
    expect(readFileSync(units[0]!, 'utf8')).not.toMatch(/^ProtectProc=invisible/m);
  });
});
