import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../lib/cli/progress.ts';

const stream = (isTTY: boolean) => {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } };
};

describe('createProgress', () => {
  it('redraws one bar in place on a terminal and ends the line when finished', () => {
    // Prepare
    const { writes, stream: tty } = stream(true);
    const progress = createProgress(tty, 'moved', () => 0);

    // Act
    progress.update(1, 4);
    progress.update(4, 4, 1);
    progress.finish();

    // Assess
    expect(writes[0]).toBe(`\r[${'#'.repeat(8)}${'.'.repeat(22)}]  25% moved 1/4`);
    expect(writes[1]).toBe(`\r[${'#'.repeat(30)}] 100% moved 4/4 (1 failed)`);
    expect(writes[2]).toBe('\n');
  });

  it('writes plain lines at most once per interval when not on a terminal, and always the last state', () => {
    // Prepare
    const { writes, stream: pipe } = stream(false);
    let now = 0;
    const progress = createProgress(pipe, 'moved', () => now, 1_000);

    // Act
    progress.update(1, 3);
    now = 500;
    progress.update(2, 3);
    now = 700;
    progress.update(3, 3);
    progress.finish();

    // Assess
    expect(writes).toEqual(['moved 1/3\n', 'moved 3/3\n']);
  });
});
