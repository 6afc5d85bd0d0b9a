import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchRoots } from '../../../lib/local/watch-roots.ts';

describe('watchRoots', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const project = (folders: readonly string[], cdkJson?: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'queueflow-watch-'));
    dirs.push(dir);
    for (const folder of folders) mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, 'app.ts'), '');
    if (cdkJson !== undefined) writeFileSync(join(dir, 'cdk.json'), JSON.stringify(cdkJson));
    return dir;
  };

  it('watches the folders cdk.json watch.include names, cut to their static prefix', () => {
    // Prepare
    const dir = project(['sample/lambdas', 'lib', 'docs', 'src/handlers'], { app: 'x', watch: { include: ['sample/**', 'lib/**', 'src/handlers/*.ts', 'missing/**'] } });

    // Act
    const roots = watchRoots(dir);

    // Assess: docs is not included; a folder that does not exist is not watched.
    expect(roots).toEqual(['lib', 'sample', join('src', 'handlers')]);
  });

  it('watches every top-level folder for ** less the excluded ones, and never node_modules, cdk.out or .queueflow', () => {
    // Prepare
    const dir = project(['lambdas', 'lib', 'test', 'node_modules/x', 'cdk.out', '.queueflow/data'], {
      app: 'x',
      watch: { include: ['**'], exclude: ['README.md', 'test', 'lib/**/*.d.ts'] },
    });

    // Act
    const roots = watchRoots(dir);

    // Assess: `lib/**/*.d.ts` excludes some files of lib, not lib.
    expect(roots).toEqual(['lambdas', 'lib']);
  });

  it('watches the top-level folders when cdk.json has no watch setting or no cdk.json exists', () => {
    // Prepare
    const withoutSetting = project(['lambda/consumer', 'cdk.out'], { app: 'node app.mjs' });
    const withoutCdkJson = project(['src']);

    // Act
    const roots = [watchRoots(withoutSetting), watchRoots(withoutCdkJson)];

    // Assess
    expect(roots).toEqual([['lambda'], ['src']]);
  });

  it('drops a folder inside another watched folder, since each is watched recursively', () => {
    // Prepare
    const dir = project(['sample/lambdas/handlers'], { watch: { include: ['sample/**', 'sample/lambdas/**'] } });

    // Act
    const roots = watchRoots(dir);

    // Assess
    expect(roots).toEqual(['sample']);
  });
});
