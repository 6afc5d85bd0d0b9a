import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalFunction } from '../../../lib/local/model.ts';
import { BundleBuildError, BundleRebuilder } from '../../../lib/local/rebuild.ts';

describe('BundleRebuilder', () => {
  const dirs: string[] = [];
  let rebuilder: BundleRebuilder | undefined;
  afterEach(async () => {
    await rebuilder?.dispose();
    dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });
  /** Two handlers sharing one module, and a third file neither imports. */
  const project = () => {
    const dir = mkdtempSync(join(tmpdir(), 'queueflow-rebuild-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'shared.ts'), "export const greeting: string = 'v1';\n");
    writeFileSync(join(dir, 'src', 'a.ts'), "import { greeting } from './shared.ts';\nexport const handler = async () => `a ${greeting}`;\n");
    writeFileSync(join(dir, 'src', 'b.ts'), "export const handler = async () => 'b';\n");
    writeFileSync(join(dir, 'src', 'stack.ts'), '');
    return dir;
  };
  const fn = (dir: string, name: string): LocalFunction => ({
    logicalId: name,
    name: `Stack-${name}`,
    assetDir: join(dir, 'cdk.out', name),
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    architecture: 'arm64',
    timeoutSeconds: 3,
    memorySizeMb: 128,
    environment: {},
    bundling: { entry: join(dir, 'src', `${name}.ts`), workingDir: dir, outfile: 'index.mjs', esbuild: { bundle: true, platform: 'node', target: 'node24', format: 'esm', external: [] } },
  });

  it('rebuilds only the bundles whose inputs include the changed file, into its own folder', async () => {
    // Prepare
    const dir = project();
    const [a, b] = [fn(dir, 'a'), fn(dir, 'b')];
    rebuilder = new BundleRebuilder(join(dir, '.queueflow', 'bundles'));
    await rebuilder.track([a, b, { ...fn(dir, 'c'), bundling: undefined }]);
    writeFileSync(join(dir, 'src', 'shared.ts'), "export const greeting: string = 'v2';\n");

    // Act
    const affected = rebuilder.affectedBy([join(dir, 'src', 'shared.ts')]);
    const { built, failed } = await rebuilder.rebuild(affected);

    // Assess
    expect(affected.map((f) => f.logicalId)).toEqual(['a']);
    expect(rebuilder.isInput(join(dir, 'src', 'stack.ts'))).toBe(false);
    expect(failed).toEqual([]);
    expect(built.get('a')).toBe(join(dir, '.queueflow', 'bundles', 'Stack-a'));
    expect(readFileSync(join(built.get('a')!, 'index.mjs'), 'utf8')).toContain('v2');
    expect(rebuilder.outDirOf('c')).toBeUndefined();
  });

  it("reports esbuild's error with file and line, and rebuilds once the source is fixed", async () => {
    // Prepare
    const dir = project();
    const a = fn(dir, 'a');
    rebuilder = new BundleRebuilder(join(dir, '.queueflow', 'bundles'));
    await rebuilder.track([a]);
    writeFileSync(join(dir, 'src', 'a.ts'), 'export const handler = async () => {;\n');

    // Act
    const broken = await rebuilder.rebuild([a]);
    writeFileSync(join(dir, 'src', 'a.ts'), "export const handler = async () => 'fixed';\n");
    const fixed = await rebuilder.rebuild(rebuilder.affectedBy([join(dir, 'src', 'a.ts')]));

    // Assess
    expect(broken.failed[0]).toBeInstanceOf(BundleBuildError);
    expect(broken.failed[0]!.message).toMatch(/^Stack-a: src\/a\.ts:\d+:\d+: Unexpected end of file/);
    expect(fixed.built.has('a')).toBe(true);
  });
});
