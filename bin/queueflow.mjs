#!/usr/bin/env node
// The package's `bin`: plain JavaScript, so it runs before anything is compiled.
// - Installed from the package: runs the compiled CLI in dist/ (no TypeScript at run time).
// - In a clone of the repository (bin/cli.ts is there; it is not in the package): registers tsx's
//   loader in this process and runs the TypeScript source, so a stale dist/ is never what runs.
//   One process either way, so signals and exit codes need no forwarding.
import { existsSync } from 'node:fs';

const source = new URL('./cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/bin/cli.js', import.meta.url).href);
}
