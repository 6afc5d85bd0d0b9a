/**
 * The `queueflow` bin as a process: the shim loads the TypeScript CLI and the process exits with
 * the CLI's code.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/queueflow.mjs', import.meta.url));

const run = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });

describe('bin/queueflow.mjs', () => {
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
