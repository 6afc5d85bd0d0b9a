/**
 * The CLI's side effects on the terminal and the clock, passed to every command so tests can
 * drive them (a TTY or not, the user's answer, time) without touching the real process.
 */
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export type Sleep = (ms: number) => Promise<void>;

export interface CliIo {
  /** Results (tables, JSON): the only thing scripts should parse. */
  readonly stdout: OutputStream;
  /** Progress, notes and errors. */
  readonly stderr: OutputStream;
  readonly stdinIsTTY: boolean;
  /** Asks a yes/no question on the terminal; only called when `stdinIsTTY`. */
  confirm(question: string): Promise<boolean>;
  now(): number;
  readonly sleep: Sleep;
}

const YES = /^y(es)?$/i;

export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdinIsTTY: process.stdin.isTTY === true,
  confirm: async (question) => {
    const readline = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return YES.test((await readline.question(`${question} [y/N] `)).trim());
    } finally {
      readline.close();
    }
  },
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
});
