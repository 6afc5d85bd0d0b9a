import { describe, expect, it } from 'vitest';
import { formatDuration, printable, renderTable } from '../../../lib/cli/table.ts';

describe('renderTable', () => {
  it('pads each column to its widest cell and right-aligns numbers', () => {
    // Act
    const text = renderTable(
      [{ header: 'CONSUMER' }, { header: 'DLQ', align: 'right' }, { header: 'NOTE' }],
      [
        ['inventory', '12', 'x'],
        ['sms', '3', ''],
      ],
    );

    // Assess
    expect(text).toBe(['CONSUMER   DLQ  NOTE', 'inventory   12  x', 'sms          3', ''].join('\n'));
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45.9, '45s'],
    [60, '1m'],
    [725, '12m 5s'],
    [3 * 3600 + 4 * 60 + 5, '3h 4m'],
    [2 * 86_400 + 3600, '2d 1h'],
    [-5, '0s'],
  ])('%s seconds is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('printable', () => {
  it('escapes terminal control characters from untrusted text', () => {
    expect(printable('boom\u001b[2J\r\nnext')).toBe('boom\\u001b[2J\\u000d\\u000anext');
  });
});
