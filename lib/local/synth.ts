import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SynthError } from './errors.ts';

/** Runs `cdk synth --quiet` with the project's CDK CLI, writing the assembly to `assemblyDir`. */
export async function synthesize(projectDir: string, assemblyDir: string): Promise<void> {
  const cdk = createRequire(join(projectDir, 'package.json')).resolve('aws-cdk/bin/cdk');
  const child = spawn(process.execPath, [cdk, 'synth', '--quiet', '--output', assemblyDir], {
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
}
