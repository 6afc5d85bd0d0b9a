/**
 * What the workflow's functions bundle (issue "lean bundles"): every function of the sample that
 * the constructs bundle (the producer, the consumers of its event types, the webhook receiver and
 * the webhook consumers), rebuilt as `queueflow local` rebuilds them from the options the
 * constructs record (so the local runtime runs the same lean bundles), carry environment-only
 * credentials and no schema library: no zod, no ajv compiler; the producer and the consumers carry
 * the validators generated at synth. Sizes and init times are the bench's (`npm run bench`,
 * docs/performance.md).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleRebuilder } from '../../../lib/local/rebuild.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';
import { readCloudAssembly } from '../../../lib/local/template-reader.ts';
import { QueueflowSampleStack } from '../../../sample/stack.ts';

const OUTDIR = mkdtempSync(join(tmpdir(), 'queueflow-lean-bundles-'));
const rebuilder = new BundleRebuilder(join(OUTDIR, 'bundles'));
let functions: LocalFunction[] = [];
let consumerNames: string[] = [];
let webhookSourceNames: string[] = [];
let receiverLogicalId: string | undefined;
const labelOf = (fn: LocalFunction): string =>
  fn.environment.CONSUMER_NAME ?? (fn.logicalId === receiverLogicalId ? 'webhook-receiver' : fn.bundling?.esbuild.define?.QUEUEFLOW_EVENT_CATALOG !== undefined ? 'producer' : fn.logicalId);
/** The functions that check event data or bodies: the producer and the consumers (the receiver checks signatures, not schemas). */
const validating = (): LocalFunction[] => functions.filter((fn) => labelOf(fn) !== 'webhook-receiver');

/**
 * The files the rebuilt bundle of `fn` holds code of, relative to the project: its source map's
 * sources (esbuild's metafile would also list the modules it parsed and then shook out).
 */
const inputsOf = (fn: LocalFunction): string[] => {
  const outDir = rebuilder.outDirOf(fn.logicalId)!;
  const map = JSON.parse(readFileSync(join(outDir, `${fn.bundling!.outfile}.map`), 'utf8')) as { sources: string[] };
  return map.sources.map((source) => resolve(outDir, source).replace(`${resolve('.')}/`, ''));
};

beforeAll(async () => {
  const app = new App({ outdir: OUTDIR, context: { 'aws:cdk:bundling-stacks': [] } });
  const { workflow } = new QueueflowSampleStack(app);
  app.synth();
  consumerNames = [...workflow.consumers.keys()];
  webhookSourceNames = [...(workflow.webhooks?.sources.keys() ?? [])];
  receiverLogicalId = workflow.webhooks === undefined ? undefined : Stack.of(workflow).getLogicalId(workflow.webhooks.function.node.defaultChild as CfnElement);
  const model = readCloudAssembly({ assemblyDir: OUTDIR, endpoint: 'http://127.0.0.1:9', apiUrl: 'http://127.0.0.1:9/', apiKeyValue: () => 'unused' });
  // Every function the constructs bundled (they record how): not, e.g., CDK's own custom-resource handlers.
  functions = model.functions.filter((fn) => fn.bundling !== undefined);
  await rebuilder.track(functions);
}, 120_000);

afterAll(async () => {
  await rebuilder.dispose();
  rmSync(OUTDIR, { recursive: true, force: true });
});

describe('lean bundles', () => {
  it('rebuilds the producer, every consumer (the webhook consumers too) and the webhook receiver of the sample', () => {
    expect(webhookSourceNames.length, 'the sample declares webhook sources').toBeGreaterThan(0);
    expect(functions.map(labelOf).sort()).toEqual(['producer', 'webhook-receiver', ...consumerNames].sort());
    expect(consumerNames).toEqual(expect.arrayContaining(['email', 'sms', 'inventory', 'payments', 'repository']));
    for (const fn of functions) expect(inputsOf(fn).length).toBeGreaterThan(0);
  });

  it('bundle the webhook receiver with its Secrets Manager client and no zod schema of a source declaration', () => {
    const inputs = inputsOf(functions.find((fn) => labelOf(fn) === 'webhook-receiver')!);
    expect(inputs.some((file) => file.includes('@aws-sdk/client-secrets-manager/'))).toBe(true);
    expect(inputs).toContain('lambdas/shared/webhooks/sources.ts');
    expect(inputs).not.toContain('lambdas/shared/webhooks/source-schema.ts');
  });

  it('resolve credentials from the environment only: none of the default chain\'s other providers or the clients they need', () => {
    for (const fn of functions) {
      const inputs = inputsOf(fn);
      expect(inputs, fn.name).toContain('lambdas/shared/environment-credentials.ts');
      expect(inputs.filter((file) => /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers)\//.test(file)), fn.name).toEqual([]);
    }
  });

  it('load no schema library: no zod, and of ajv only the runtime helpers the generated validators call', () => {
    for (const fn of functions) {
      const inputs = inputsOf(fn);
      expect(inputs.filter((file) => file.includes('node_modules/zod/')), fn.name).toEqual([]);
      expect(inputs.filter((file) => /node_modules\/(ajv|ajv-draft-04|ajv-formats|fast-uri)\//.test(file) && !/ajv\/(dist|lib)\/runtime\/|ajv-formats\/(dist|src)\/formats/.test(file)), fn.name).toEqual([]);
    }
  });

  it('the producer and the consumers carry the validators generated at synth', () => {
    for (const fn of validating()) expect(inputsOf(fn).some((file) => /queueflow-validators\/[0-9a-f]{20}\.mjs$/.test(file)), fn.name).toBe(true);
  });
});
