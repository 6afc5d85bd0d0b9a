import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalRuntimeError } from './errors.ts';
import type { LocalWebhookSource } from './secrets.ts';

/** `.queueflow/local.json`: everything a tool or test needs to reach the running stack. */
export interface LocalState {
  readonly pid: number;
  /** The stacks that run, comma-separated (one name when one stack runs). */
  readonly stackName: string;
  /** The stacks that run (absent in state files of runtimes before multi-stack support). */
  readonly stackNames?: readonly string[];
  /** The local API gateway's base URL, with a trailing slash. */
  readonly apiUrl: string;
  /** The one AWS endpoint (SQS, SNS, DynamoDB), no trailing slash. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The first enabled API key's value, when the API declares keys. */
  readonly apiKey?: string;
  /** Stack outputs resolved to local values; with several stacks also as `Stack.Key` (see LocalModel.outputs). */
  readonly outputs: Readonly<Record<string, string>>;
  readonly dataDir: string;
  /** Each webhook source's local URL and signing secret, to sign test deliveries with (secrets.ts). */
  readonly webhookSources?: readonly LocalWebhookSource[];
  /** The local console's URL (console-server.ts), with a trailing slash. */
  readonly consoleUrl?: string;
  /** What the console's actions (redrive, purge) need in the `x-queueflow-console-token` header. */
  readonly consoleToken?: string;
}

/**
 * Writes the state file atomically (temp file + rename), so a reader polling for it never sees a
 * half-written file.
 */
export function writeStateFile(path: string, state: LocalState): void {
  writeJsonAtomically(path, state);
}

export function readStateFile(path: string): LocalState {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalState;
  } catch (error) {
    throw new LocalRuntimeError(`Cannot read the local runtime state file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Removes the state file if it still belongs to `pid` (another runtime may have replaced it). */
export function removeStateFile(path: string, pid: number): void {
  try {
    if (readStateFile(path).pid !== pid) return;
  } catch {
    return;
  }
  rmSync(path, { force: true });
}

export function writeJsonAtomically(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/**
 * API key values the template leaves to API Gateway to generate. Generated once and kept in the
 * data folder, so a restart keeps the caller's key valid.
 */
export function persistedApiKeys(dataDir: string): (logicalId: string) => string {
  const path = join(dataDir, 'api-keys.json');
  let keys: Record<string, string> = {};
  try {
    keys = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch {
    // First start on this data folder.
  }
  return (logicalId) => {
    if (!keys[logicalId]) {
      // API Gateway's generated keys are 40 characters of [A-Za-z0-9].
      keys[logicalId] = randomBytes(40).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 40).padEnd(40, '0');
      writeJsonAtomically(path, keys);
    }
    return keys[logicalId];
  };
}
