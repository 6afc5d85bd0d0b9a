import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SynthError } from './errors.ts';
import { assemblyFingerprint, recordFingerprint } from './fingerprint.ts';

/**
 * Runs `cdk synth --quiet` in `projectDir` (so with its cdk.json), writing the assembly to
 * `assemblyDir`. Uses the project's CDK CLI, or queueflow's own when the project has none.
 * `context` becomes `-c key=value` arguments, which win over cdk.json's context.
 * On success, records the fingerprint the inputs had when the synth started (fingerprint.ts), so
 * the next start-up can skip the synth; an edit made during the synth leaves the record stale.
 */
export async function synthesize(projectDir: string, assemblyDir: string, context: Readonly<Record<string, string>> = {}): Promise<void> {
  const cdk = cdkCli(projectDir);
  const fingerprint = assemblyFingerprint(projectDir, assemblyDir, context);
  const contextArgs = Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  const child = spawn(process.execPath, [cdk, 'synth', '--quiet', '--output', assemblyDir, ...contextArgs], {
    cwd: projectDir,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', done);
  }).catch((error: unknown) => {
    throw new SynthError(`Could not run the CDK CLI: ${(error as Error).message}`, { cause: error });
  });
  if (code !== 0) throw new SynthError(`cdk synth failed (exit ${code}):\n${output.trim().split('\n').slice(-40).join('\n')}`);
  recordFingerprint(projectDir, assemblyDir, fingerprint);
}

function cdkCli(projectDir: string): string {
  try {
    return createRequire(join(projectDir, 'package.json')).resolve('aws-cdk/bin/cdk');
  } catch {
    try {
      return createRequire(import.meta.url).resolve('aws-cdk/bin/cdk');
    } catch (error) {
      throw new SynthError(`No CDK CLI found: install aws-cdk in ${projectDir} (npm install -D aws-cdk) or pass --no-synth`, { cause: error });
    }
  }
}
