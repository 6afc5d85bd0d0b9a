#!/usr/bin/env node
// The package's `bin`: plain JavaScript so `npx queueflow` works without a build step. It
// registers tsx's loader in this process (no second Node process to forward signals and exit
// codes through) and then runs the TypeScript CLI, including its `#shared/*` imports.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
