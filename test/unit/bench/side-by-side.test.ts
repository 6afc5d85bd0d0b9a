/**
 * The bench's side-by-side tables and alternating ramps (`npm run bench -- --baseline <ref>`,
 * bench/lib/side-by-side.ts).
 */
import { describe, expect, it } from 'vitest';
import { MISSING_CELL, alternateRamps, sideBySideHeader, sideBySideRows } from '../../../bench/lib/side-by-side.ts';

interface Row {
  readonly rate: number;
  readonly p50: number;
}

const key = (row: Row) => [String(row.rate)];
const cells = (row: Row) => [String(row.p50), `${row.rate}/s`];

describe('sideBySideHeader', () => {
  it('names the first column of each group after its side', () => {
    expect(sideBySideHeader(['rate'], ['p50', 'p99'], ['this runtime', 'baseline 7313aac'])).toEqual(['rate', 'this runtime: p50', 'p99', 'baseline 7313aac: p50', 'p99']);
  });

  it('gives the plain columns for one side, as the bench printed them before baselines', () => {
    expect(sideBySideHeader(['rate', 'requests'], ['p50', 'p99'], ['this runtime'])).toEqual(['rate', 'requests', 'p50', 'p99']);
  });
});

describe('sideBySideRows', () => {
  it('matches rows by key and puts each side’s cells after the key', () => {
    const rows = sideBySideRows<Row>(
      [
        [{ rate: 10, p50: 1 }, { rate: 50, p50: 2 }],
        [{ rate: 50, p50: 20 }, { rate: 10, p50: 10 }],
      ],
      key,
      cells,
      2,
    );
    expect(rows).toEqual([
      ['10', '1', '10/s', '10', '10/s'],
      ['50', '2', '50/s', '20', '50/s'],
    ]);
  });

  it('fills a side without a row for a key (a ramp that stopped earlier) with missing cells, in the order keys first appear', () => {
    const rows = sideBySideRows<Row>([[{ rate: 20, p50: 1 }], [{ rate: 20, p50: 3 }, { rate: 40, p50: 4 }]], key, cells, 2);
    expect(rows).toEqual([
      ['20', '1', '20/s', '3', '20/s'],
      ['40', MISSING_CELL, MISSING_CELL, '4', '40/s'],
    ]);
  });

  it('with one side, gives that side’s rows as they are', () => {
    expect(sideBySideRows<Row>([[{ rate: 5, p50: 7 }]], key, cells, 2)).toEqual([['5', '7', '5/s']]);
  });
});

describe('alternateRamps', () => {
  it('alternates the sides at each rate and stops each after its own first unsustained step', async () => {
    const limits = [60, 20];
    const order: string[] = [];
    const steps = await alternateRamps(2, [20, 40, 60, 80, 100], async (side, rate) => {
      order.push(`${side}@${rate}`);
      return { rate, sustained: rate <= limits[side]! };
    });
    expect(order).toEqual(['0@20', '1@20', '0@40', '1@40', '0@60', '0@80']);
    expect(steps.map((ramp) => ramp.map((step) => `${step.rate}:${step.sustained}`))).toEqual([['20:true', '40:true', '60:true', '80:false'], ['20:true', '40:false']]);
  });

  it('with one side, runs its ramp to its first unsustained step, as the bench did before baselines', async () => {
    const steps = await alternateRamps(1, [10, 20, 30], async (_side, rate) => ({ rate, sustained: rate < 20 }));
    expect(steps).toEqual([
      [
        { rate: 10, sustained: true },
        { rate: 20, sustained: false },
      ],
    ]);
  });

  it('runs the whole ramp when every step holds', async () => {
    const steps = await alternateRamps(2, [10, 20], async (_side, rate) => ({ rate, sustained: true }));
    expect(steps.map((ramp) => ramp.length)).toEqual([2, 2]);
  });
});
