#!/usr/bin/env node
// The package's `bin`: plain JavaScript, so it runs before anything is compiled.
// - First, the Node.js version: an older Node fails later in ways that explain nothing (fauxqs
//   needs node:sqlite), so it is refused here, in one line, before anything else loads. The
//   minimum is package.json's `engines.node`, the one place it is written.
// - Installed from the package: runs the compiled CLI in dist/ (no TypeScript at run time).
// - In a clone of the repository (bin/cli.ts is there; it is not in the package): runs the
//   TypeScript source, so a stale dist/ is never what runs (types stripped by Node, or by tsx's
//   loader, registered in this process, on a Node without type stripping).
//   One process either way, so signals and exit codes need no forwarding.
import { existsSync, readFileSync } from 'node:fs';
// A namespace import: a named one that this Node lacks would fail before the version check.
import * as nodeModule from 'node:module';

const required = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const [needMajor, needMinor = 0] = required.replace(/^>=\s*/, '').split('.').map(Number);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  console.error(`queueflow needs Node.js ${required.replace(/^>=\s*/, '')} or later, and this is ${process.version}: install Node.js 24 (nvm install 24, or https://nodejs.org/en/download) and run it again.`);
  process.exit(1);
}

// V8's code cache for every module loaded from here on (in the OS temp folder): about 0.1 s of a start.
nodeModule.enableCompileCache?.();
const source = new URL('./cli.ts', import.meta.url);
if (existsSync(source)) {
  // Node strips the types itself where it can (22.18 and later; the code is erasable TypeScript,
  // `erasableSyntaxOnly` in tsconfig.json), which starts faster than tsx's loader; older Node
  // versions load tsx's.
  if (!process.features.typescript) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  await import(source.href);
} else {
  await import(new URL('../dist/bin/cli.js', import.meta.url).href);
}
