/** Plain-text output helpers: aligned tables and human durations. */

export interface Column {
  readonly header: string;
  /** Numbers read best right-aligned. */
  readonly align?: 'left' | 'right';
}

/** Columns padded to their widest cell, separated by two spaces; no trailing whitespace. */
export const renderTable = (columns: readonly Column[], rows: readonly (readonly string[])[]): string => {
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        return column.align === 'right' ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...rows.map(line)].join('\n') + '\n';
};

const UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** `45s`, `12m 5s`, `3h`, `2d 1h`: two units are enough to judge a dead letter's age. */
export const formatDuration = (seconds: number): string => {
  const total = Math.max(0, Math.floor(seconds));
  const index = UNITS.findIndex(([, size]) => total >= size);
  if (index === -1) return '0s';
  const [unit, size] = UNITS[index]!;
  const text = `${Math.floor(total / size)}${unit}`;
  const next = UNITS[index + 1];
  const remainder = next === undefined ? 0 : Math.floor((total % size) / next[1]);
  return remainder > 0 ? `${text} ${remainder}${next![0]}` : text;
};

/** `1 dead letter`, `6 dead letters`. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * Text from queues and tables is untrusted: control characters (ANSI escapes, carriage returns)
 * could rewrite the operator's terminal, so they are shown escaped.
 */
export const printable = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
