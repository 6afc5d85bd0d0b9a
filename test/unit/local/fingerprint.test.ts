import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assemblyFingerprint, isAssemblyUpToDate, recordFingerprint } from '../../../lib/local/fingerprint.ts';

describe('assembly fingerprint', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  /** A project with a watched source folder, node_modules, and a synthesized assembly. */
  const project = () => {
    const dir = mkdtempSync(join(tmpdir(), 'queueflow-fingerprint-'));
    dirs.push(dir);
    for (const folder of ['src', 'node_modules/pkg', 'cdk.out']) mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'npx tsx src/app.ts' }));
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    writeFileSync(join(dir, 'src', 'app.ts'), 'new App();');
    writeFileSync(join(dir, 'node_modules', 'pkg', 'index.js'), '');
    writeFileSync(join(dir, 'cdk.out', 'manifest.json'), '{"version":"1"}');
    writeFileSync(join(dir, 'cdk.out', 'Stack.template.json'), '{}');
    return { dir, assembly: join(dir, 'cdk.out') };
  };

  it('changes with a source file, cdk.json, the lock file or the synth context, and not with node_modules', () => {
    // Prepare
    const { dir, assembly } = project();
    const before = assemblyFingerprint(dir, assembly);

    // Act
    writeFileSync(join(dir, 'node_modules', 'pkg', 'index.js'), 'changed');
    const afterNodeModules = assemblyFingerprint(dir, assembly);
    const withContext = assemblyFingerprint(dir, assembly, { stage: 'dev' });
    writeFileSync(join(dir, 'src', 'app.ts'), 'new App(); // edited');
    const afterSource = assemblyFingerprint(dir, assembly);
    writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3}');
    const afterLock = assemblyFingerprint(dir, assembly);

    // Assess
    expect(afterNodeModules).toBe(before);
    expect(new Set([before, withContext, afterSource, afterLock]).size).toBe(4);
  });

  it('counts the assembly up to date once a synth recorded the fingerprint, until a source or the assembly changes', () => {
    // Prepare
    const { dir, assembly } = project();
    const fingerprint = assemblyFingerprint(dir, assembly);
    const unrecorded = isAssemblyUpToDate(dir, assembly, fingerprint);

    // Act
    recordFingerprint(dir, assembly, fingerprint);
    const recorded = isAssemblyUpToDate(dir, assembly, fingerprint);
    writeFileSync(join(dir, 'src', 'app.ts'), 'new App(); // edited');
    const afterEdit = isAssemblyUpToDate(dir, assembly, assemblyFingerprint(dir, assembly));
    writeFileSync(join(dir, 'src', 'app.ts'), 'new App();');
    writeFileSync(join(dir, 'cdk.out', 'Stack.template.json'), '{"Resources":{}}');
    const afterOtherSynth = isAssemblyUpToDate(dir, assembly, fingerprint);

    // Assess
    expect(unrecorded).toBe(false);
    expect(recorded).toBe(true);
    expect(afterEdit).toBe(false);
    expect(afterOtherSynth).toBe(false);
  });
});
