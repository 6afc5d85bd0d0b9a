import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import { recordLocalBundling } from '../../../lib/constructs/record-local-bundling.ts';
import { SdkCredentials, createQueueflowFunction } from '../../../lib/constructs/queueflow-function.ts';
import { BUNDLING_METADATA_KEY, type RecordedBundling } from '../../../lib/shared/bundling-metadata.ts';

const ENTRY = resolve('sample/lambdas/handlers/email-consumer.ts');
// A private assembly folder (never the project's cdk.out, which integration suites run); the asset
// is not under test: no bundling at synth.
const OUTDIR = mkdtempSync(join(tmpdir(), 'queueflow-record-bundling-'));
const stack = () => new Stack(new App({ outdir: OUTDIR, context: { 'aws:cdk:bundling-stacks': [] } }), 'Stack');
const recorded = (scope: Stack): RecordedBundling[] =>
  Object.values(Template.fromStack(scope).findResources('AWS::Lambda::Function')).map((resource) => (resource as { Metadata: Record<string, RecordedBundling> }).Metadata[BUNDLING_METADATA_KEY]!);

describe('recordLocalBundling', () => {
  afterAll(() => rmSync(OUTDIR, { recursive: true, force: true }));

  it("records a queueflow function's entry, relative to the assembly, and the esbuild options NodejsFunction runs", () => {
    // Prepare
    const scope = stack();

    // Act
    createQueueflowFunction(scope, 'Email', { entry: ENTRY, description: 'd', environment: {}, define: { 'process.env.X': '"1"' } });

    // Assess
    const [bundling] = recorded(scope);
    expect(bundling).toEqual({
      entry: relative(OUTDIR, ENTRY),
      workingDir: relative(OUTDIR, resolve('.')),
      outfile: 'index.mjs',
      // Environment-only credentials: the SDK's default chain replaced, as the construct bundles it.
      alias: { '@aws-sdk/credential-provider-node': relative(OUTDIR, resolve('lambdas/shared/environment-credentials.ts')) },
      esbuild: {
        bundle: true,
        platform: 'node',
        target: 'node24',
        format: 'esm',
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        external: [],
        define: { 'process.env.X': '"1"' },
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
        mainFields: ['module', 'main'],
      },
    });
  });

  it("follows NodejsFunction's defaults: CommonJS index.js, the runtime's target, the runtime's SDK external, a source map mode", () => {
    // Prepare
    const scope = stack();
    const fn = new NodejsFunction(scope, 'Plain', { entry: ENTRY, runtime: Runtime.NODEJS_22_X, bundling: { sourceMapMode: SourceMapMode.INLINE, loader: { '.txt': 'text' } } });

    // Act
    const done = recordLocalBundling(fn, { entry: ENTRY, runtime: Runtime.NODEJS_22_X, bundling: { sourceMapMode: SourceMapMode.INLINE, loader: { '.txt': 'text' } } });

    // Assess
    expect(done).toBe(true);
    expect(recorded(scope)[0]).toMatchObject({ outfile: 'index.js', esbuild: { target: 'node22', external: ['@aws-sdk/*'], sourcemap: 'inline', loader: { '.txt': 'text' } } });
    expect(recorded(scope)[0]!.esbuild).not.toHaveProperty('format');
  });

  it('records no alias for a function that keeps the default credential chain, and the injected validators relative to the assembly', () => {
    // Prepare
    const scope = stack();

    // Act
    createQueueflowFunction(scope, 'Chain', {
      entry: ENTRY,
      description: 'd',
      environment: {},
      sdkCredentials: SdkCredentials.DEFAULT_CHAIN,
      eventTypes: [{ eventType: 'order.placed', data: { type: 'object' } }],
    });

    // Assess
    const [bundling] = recorded(scope);
    expect(bundling).not.toHaveProperty('alias');
    expect(bundling!.inject).toEqual([expect.stringMatching(/^queueflow-validators\/[0-9a-f]{20}\.mjs$/)]);
  });

  it('records esbuildArgs aliases (paths relative to the assembly, starting with a dot; packages as they are), and nothing for any other argument', () => {
    // Prepare
    const scope = stack();
    const aliased = { format: OutputFormat.ESM, esbuildArgs: { '--alias': ['left-pad=./lambdas/shared/errors.ts', 'lodash=lodash-es'] } };
    const other = { format: OutputFormat.ESM, esbuildArgs: { '--log-limit': '0' } };
    const withAlias = new NodejsFunction(scope, 'Aliased', { entry: ENTRY, runtime: Runtime.NODEJS_24_X, bundling: aliased });
    const withOther = new NodejsFunction(stack(), 'Other', { entry: ENTRY, runtime: Runtime.NODEJS_24_X, bundling: other });

    // Act
    const doneAliased = recordLocalBundling(withAlias, { entry: ENTRY, runtime: Runtime.NODEJS_24_X, bundling: aliased });
    const doneOther = recordLocalBundling(withOther, { entry: ENTRY, runtime: Runtime.NODEJS_24_X, bundling: other });

    // Assess
    expect([doneAliased, doneOther]).toEqual([true, false]);
    expect(recorded(scope)[0]!.alias).toEqual({ 'left-pad': relative(OUTDIR, resolve('lambdas/shared/errors.ts')), lodash: 'lodash-es' });
  });

  it('records nothing for bundling one esbuild call cannot repeat (command hooks, node modules, pre-compilation)', () => {
    // Prepare
    const scope = stack();
    const bundling = { format: OutputFormat.ESM, nodeModules: ['esbuild'] };
    const fn = new NodejsFunction(scope, 'WithModules', { entry: ENTRY, runtime: Runtime.NODEJS_24_X, bundling });

    // Act
    const done = recordLocalBundling(fn, { entry: ENTRY, runtime: Runtime.NODEJS_24_X, bundling });

    // Assess
    expect(done).toBe(false);
    expect(Template.fromStack(scope).findResources('AWS::Lambda::Function', { Metadata: { [BUNDLING_METADATA_KEY]: {} } })).toEqual({});
  });
});
