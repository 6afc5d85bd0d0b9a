import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { persistedApiKeys, readStateFile, removeStateFile, writeStateFile, type LocalState } from '../../../lib/local/state-file.ts';

const state = (pid: number): LocalState => ({
  pid,
  stackName: 'S',
  apiUrl: 'http://127.0.0.1:3000/',
  endpoint: 'http://127.0.0.1:4566',
  region: 'us-east-1',
  accountId: '000000000000',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  outputs: { ApiUrl: 'http://127.0.0.1:3000/' },
  dataDir: '/d',
});

describe('state file', () => {
  it('is written into a new folder without leaving temp files, and read back', () => {
    // Prepare
    const dir = join(mkdtempSync(join(tmpdir(), 'queueflow-state-')), 'nested');
    const path = join(dir, 'local.json');

    // Act
    writeStateFile(path, state(1));

    // Assess
    expect(readStateFile(path)).toEqual(state(1));
    expect(readdirSync(dir)).toEqual(['local.json']);
  });

  it('is removed only by the runtime that wrote it', () => {
    // Prepare
    const path = join(mkdtempSync(join(tmpdir(), 'queueflow-state-')), 'local.json');
    writeStateFile(path, state(2));

    // Act
    removeStateFile(path, 3);
    const keptForOther = existsSync(path);
    removeStateFile(path, 2);

    // Assess
    expect(keptForOther).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('explains an unreadable file', () => {
    expect(() => readStateFile('/nonexistent/local.json')).toThrow(/Cannot read the local runtime state file/);
  });
});

describe('persistedApiKeys', () => {
  it('generates a 40-character key once and returns it again after a restart', () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'queueflow-keys-'));

    // Act
    const first = persistedApiKeys(dataDir)('Key');
    const again = persistedApiKeys(dataDir)('Key');
    const other = persistedApiKeys(dataDir)('OtherKey');

    // Assess
    expect(first).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(JSON.parse(readFileSync(join(dataDir, 'api-keys.json'), 'utf8'))).toEqual({ Key: first, OtherKey: other });
  });
});
