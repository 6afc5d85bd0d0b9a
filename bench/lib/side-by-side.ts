/**
 * Two runtimes measured in one bench run (`--baseline`): the order their phases run in, and the
 * tables that put their figures side by side. With one runtime, the same functions give the
 * bench's single tables.
 */

/** The cell of a side that has no row for a key (its saturation ramp stopped earlier). */
export const MISSING_CELL = '–';

/**
 * The header of a table with a column group per side: the key columns, then each side's
 * `columns`, the first of each group named after its side (`this runtime: p50`, `p90`, …,
 * `baseline 7313aac: p50`, …). With one side, the plain columns.
 */
export const sideBySideHeader = (keys: readonly string[], columns: readonly string[], sides: readonly string[]): string[] => [
  ...keys,
  ...(sides.length <= 1 ? columns : sides.flatMap((side) => columns.map((column, index) => (index === 0 ? `${side}: ${column}` : column)))),
];

/**
 * The rows of that table: one per key (the cells `key` gives), in the order keys first appear,
 * the first side's first; each with every side's `cells`, or `width` MISSING_CELLs for a side
 * without a row for that key.
 */
export const sideBySideRows = <T>(
  sides: readonly (readonly T[])[],
  key: (row: T) => readonly string[],
  cells: (row: T) => readonly string[],
  width: number,
): string[][] => {
  const keys = new Map<string, readonly string[]>();
  for (const rows of sides) for (const row of rows) keys.set(JSON.stringify(key(row)), key(row));
  return [...keys].map(([id, keyCells]) => [
    ...keyCells,
    ...sides.flatMap((rows) => {
      const row = rows.find((candidate) => JSON.stringify(key(candidate)) === id);
      return row === undefined ? Array<string>(width).fill(MISSING_CELL) : [...cells(row)];
    }),
  ]);
};

/**
 * Runs each side's ramp, alternating step by step (side 0 at the first rate, side 1 at it, side 0
 * at the next …), each side stopping after its own first step that was not sustained; returns
 * each side's steps.
 */
export async function alternateRamps<Step extends { readonly sustained: boolean }>(
  sides: number,
  rates: readonly number[],
  runStep: (side: number, rate: number) => Promise<Step>,
): Promise<Step[][]> {
  const steps = Array.from({ length: sides }, (): Step[] => []);
  const running = (side: number) => steps[side]!.at(-1)?.sustained !== false;
  for (const rate of rates) {
    for (let side = 0; side < sides; side += 1) if (running(side)) steps[side]!.push(await runStep(side, rate));
    if (!steps.some((_, side) => running(side))) break;
  }
  return steps;
}
