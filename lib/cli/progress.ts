/**
 * Progress of a long redrive on stderr. Hand-written rather than a dependency: one bar, one
 * line, a dozen lines of code (cli-progress would add a package for this alone). On a TTY the bar
 * redraws in place; otherwise (CI logs, pipes) a plain line is written at most once per
 * `lineIntervalMs` and at the end, so logs stay readable.
 */
import type { OutputStream } from './io.ts';

const BAR_WIDTH = 30;

export interface Progress {
  update(done: number, total: number, failed?: number): void;
  finish(): void;
}

export const createProgress = (
  stream: OutputStream,
  label: string,
  now: () => number,
  lineIntervalMs = 1_000,
): Progress => {
  let lastLineAt = Number.NEGATIVE_INFINITY;
  let last: string | undefined;
  const describe = (done: number, total: number, failed: number): string =>
    `${label} ${done}/${total}${failed > 0 ? ` (${failed} failed)` : ''}`;
  return {
    update(done, total, failed = 0) {
      if (stream.isTTY === true) {
        const ratio = total === 0 ? 1 : Math.min(1, done / total);
        const filled = Math.round(ratio * BAR_WIDTH);
        last = `\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${describe(done, total, failed)}`;
        stream.write(last);
        return;
      }
      last = describe(done, total, failed);
      if (now() - lastLineAt >= lineIntervalMs) {
        stream.write(`${last}\n`);
        lastLineAt = now();
        last = undefined;
      }
    },
    finish() {
      if (stream.isTTY === true) {
        if (last !== undefined) stream.write('\n');
      } else if (last !== undefined) {
        stream.write(`${last}\n`);
      }
      last = undefined;
    },
  };
};
