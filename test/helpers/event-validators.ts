/**
 * The validators the constructs generate at synth and inject into a function's bundle
 * (`QUEUEFLOW_EVENT_VALIDATORS`), installed as the global for code under test that runs
 * unbundled: the same generated code, from the same documents.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { EVENT_VALIDATORS_EXPORT, eventDataSchema, eventValidatorsModule } from '../../lib/constructs/event-validators.ts';
import type { EventCatalogEntry } from '../../lib/constructs/queue-workflow.ts';
import type { EventValidators } from '../../lambdas/shared/event-validators.ts';
import { QueueflowSampleStack } from '../../sample/stack.ts';

type CatalogRoute = Pick<EventCatalogEntry, 'eventType' | 'resourcePath' | 'schema'>;

/** Generates the body and data validators of `catalog` and installs them as the global; returns them. */
export async function installEventValidators(catalog: readonly CatalogRoute[]): Promise<EventValidators> {
  const source = eventValidatorsModule(
    catalog.map((entry) => ({ eventType: entry.eventType, body: entry.schema, data: eventDataSchema(entry.schema, entry.resourcePath) })),
  );
  const file = join(mkdtempSync(join(tmpdir(), 'queueflow-validators-')), 'validators.mjs');
  writeFileSync(file, source);
  const validators = ((await import(pathToFileURL(file).href)) as Record<string, EventValidators>)[EVENT_VALIDATORS_EXPORT]!;
  (globalThis as Record<string, unknown>)[EVENT_VALIDATORS_EXPORT] = validators;
  return validators;
}

/** The sample's event catalog, as its stack declares it (bundling skipped). */
export function sampleCatalog(): readonly EventCatalogEntry[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new QueueflowSampleStack(app).workflow.eventCatalog;
}

/** Installs the validators of the sample's event types. */
export const installSampleEventValidators = (): Promise<EventValidators> => installEventValidators(sampleCatalog());
