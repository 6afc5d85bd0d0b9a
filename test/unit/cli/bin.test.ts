/**
 * The `queueflow` bin as a process: the shim loads the TypeScript CLI and the process exits with
 * the CLI's code.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/queueflow.mjs', import.meta.url));

const run = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });

// The machine's own Node.js, when it is older than the project's (Node 20 on Debian 12, as on CI).
const olderNode = ['/usr/bin/node', '/usr/local/bin/node'].find(
  (path) => existsSync(path) && Number(execFileSync(path, ['-p', 'process.versions.node.split(".")[0]']).toString()) < 22,
);

describe('bin/queueflow.mjs', () => {
  it.skipIf(olderNode === undefined)('refuses an older Node.js in one line naming the version it needs, before loading anything', async () => {
    // Act
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(olderNode!, [BIN, 'local', '--help'], { timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      });
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^queueflow needs Node\.js 22\.12 or later, and this is v\d+\.\d+\.\d+: install Node\.js 24 .*\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  it('prints the help and exits 0', async () => {
    // Act
    const result = await run('--help');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('queueflow dlq <command>');
    expect(result.stdout).toContain('queueflow local [options]');
  });

  it('exits 2 on a usage error and 1 when the local runtime is not running', async () => {
    // Act
    const [usage, notRunning] = await Promise.all([run('dlq', 'drain'), run('dlq', 'list', '--state-file', '/nonexistent/local.json')]);

    // Assess
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toContain('queueflow: unknown dlq command "drain"');
    expect(notRunning).toMatchObject({ code: 1, stdout: '' });
    expect(notRunning.stderr).toContain('local runtime is not running');
  });
});
