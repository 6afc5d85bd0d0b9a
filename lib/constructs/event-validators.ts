/**
 * Generates, at synth, the validators a function runs: ajv standalone code (one module, ESM)
 * compiled from the JSON Schema draft 4 documents the event types' zod schemas convert to, with
 * the producer's own ajv configuration (`createDraft4Ajv`). The API Gateway request model, the
 * producer's body check and the consumers' data check are so built from the one zod source, and
 * a function neither loads a schema library nor compiles a schema when it starts.
 *
 * The module exports `QUEUEFLOW_EVENT_VALIDATORS` (see lambdas/shared/event-validators.ts); the
 * function's bundle injects it (esbuild `inject`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stage } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PATH_PARAMETER, pathParameterNames } from '../../lambdas/shared/request.ts';
import { createDraft4Ajv } from '../../lambdas/shared/validation.ts';

/** The draft-4 documents of one event type. */
export interface EventTypeSchemas {
  readonly eventType: string;
  /** The request body's document (the producer checks it). */
  readonly body?: Record<string, unknown>;
  /** The event data's document (the consumers check it). */
  readonly data?: Record<string, unknown>;
}

/** How the generated module names the ajv runtime files it imports. */
export type RuntimeImports =
  /** Absolute paths of this package's copies: the module may sit anywhere (an app's cloud assembly). */
  | 'absolute'
  /** Package specifiers (`ajv/dist/runtime/ucs2length.js`): for a module inside this package. */
  | 'package';

type StandaloneCode = (ajv: ReturnType<typeof createDraft4Ajv>, refsOrFunc: Record<string, string>) => string;

/**
 * Resolves from the ajv copy that ajv-draft-04 (whose class `createDraft4Ajv` instantiates)
 * extends. Installed from the package, that need not be the copy `ajv` resolves to from here:
 * fauxqs is a bundled dependency and brings an ajv of its own inside this package, while
 * ajv-draft-04 is hoisted next to the app's. Standalone code from another copy than the compiler's
 * does not recognise the compiled code's objects and writes them out as JSON (invalid JavaScript).
 */
const requireAjv = createRequire(createRequire(import.meta.url).resolve('ajv-draft-04'));
const standaloneCodeModule = requireAjv('ajv/dist/standalone') as StandaloneCode & { default?: StandaloneCode };
const standaloneCode: StandaloneCode = standaloneCodeModule.default ?? standaloneCodeModule;
const REQUIRE_CALL = /require\("([^"]+)"\)/g;
/** The name of the export, and so of the global the bundle binds it to. */
export const EVENT_VALIDATORS_EXPORT = 'QUEUEFLOW_EVENT_VALIDATORS';

/**
 * The source of a module exporting standalone validate functions: `exports` maps each export
 * name to a draft-4 document. The `require()` calls ajv's standalone code makes for its runtime
 * helpers become imports of their CommonJS module.exports, so the module is ESM throughout.
 */
export function standaloneValidatorsSource(
  exports: Readonly<Record<string, object>>,
  runtimeImports: RuntimeImports,
  options: { readonly validateFormats?: boolean } = {},
): string {
  const ajv = createDraft4Ajv({ ...options, code: { source: true, esm: true } });
  const refs: Record<string, string> = {};
  for (const [name, schema] of Object.entries(exports)) {
    ajv.addSchema(schema, name);
    refs[name] = name;
  }
  const code = standaloneCode(ajv, refs).replace(/^"use strict";/, '');
  const specifiers = new Map<string, string>();
  const body = code.replace(REQUIRE_CALL, (_call, specifier: string) => {
    let local = specifiers.get(specifier);
    if (local === undefined) {
      local = `__runtime${specifiers.size}`;
      specifiers.set(specifier, local);
    }
    return local;
  });
  const imports = [...specifiers].map(([specifier, local]) => {
    const resolved = requireAjv.resolve(specifier);
    const from = runtimeImports === 'absolute' ? resolved : `${specifier}${extname(specifier) === '' ? extname(resolved) : ''}`;
    // Node.js and esbuild's Node mode give a CommonJS module as the namespace's `default`;
    // TypeScript's and tsx's interop give it as the namespace itself when it sets __esModule.
    return `import * as ${local}ns from ${JSON.stringify(from)};\nconst ${local} = ${local}ns.default?.__esModule ? ${local}ns.default : ${local}ns;`;
  });
  return `${imports.join('\n')}\n${body}\n`;
}

/**
 * The module for a function handling `eventTypes`: `QUEUEFLOW_EVENT_VALIDATORS` maps each event
 * type to its `body` and/or `data` validate function.
 */
export function eventValidatorsModule(eventTypes: readonly EventTypeSchemas[], runtimeImports: RuntimeImports = 'absolute'): string {
  const exports: Record<string, object> = {};
  // One export per distinct document: ajv's standalone code emits a document once per export,
  // and a route without path parameters has the same document for its body and its data.
  const exportNames = new Map<string, string>();
  const exportOf = (schema: object): string => {
    const key = JSON.stringify(schema);
    let name = exportNames.get(key);
    if (name === undefined) {
      name = `validate${exportNames.size}`;
      exportNames.set(key, name);
      exports[name] = schema;
    }
    return name;
  };
  const table = eventTypes.map(({ eventType, body, data }) => {
    const fields = [...(body ? [`body: ${exportOf(body)}`] : []), ...(data ? [`data: ${exportOf(data)}`] : [])];
    return `${JSON.stringify(eventType)}: { ${fields.join(', ')} }`;
  });
  return [
    '// Generated by queueflow at synth from the event types\' schemas (ajv standalone, JSON Schema draft 4). Do not edit.',
    standaloneValidatorsSource(exports, runtimeImports),
    `export const ${EVENT_VALIDATORS_EXPORT} = Object.freeze({ ${table.join(', ')} });`,
    '',
  ].join('\n');
}

/**
 * Writes the module for `eventTypes` into the cloud assembly of `scope` (`queueflow-validators/`,
 * named by a hash of its schemas, so an unchanged synth writes the same file) and returns its
 * absolute path. It stays there for `queueflow local`, which rebuilds bundles from it.
 */
export function writeEventValidatorsModule(scope: IConstruct, eventTypes: readonly EventTypeSchemas[]): string {
  // Absolute: `cdk synth` gives a relative outdir, and esbuild runs in the lock file's folder,
  // which need not be the app's.
  const dir = resolve(Stage.of(scope)?.outdir ?? process.cwd(), 'queueflow-validators');
  // Named by the portable source, not the text with this machine's paths: the name ends up in the
  // bundle's source map, and the asset hash must not depend on where node_modules is.
  const name = createHash('sha256').update(eventValidatorsModule(eventTypes, 'package')).digest('hex').slice(0, 20);
  const file = join(dir, `${name}.mjs`);
  const source = eventValidatorsModule(eventTypes, 'absolute');
  mkdirSync(dir, { recursive: true });
  if (readIfExists(file) !== source) writeFileSync(file, source);
  return file;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The committed envelope validator: lambdas/shared/envelope-validator.generated.ts. */
export const ENVELOPE_VALIDATOR_FILE = fileURLToPath(new URL('../../lambdas/shared/envelope-validator.generated.ts', import.meta.url));

/**
 * The envelope validator's source, from the envelope's zod schema. Formats are not checked: the
 * zod schema's own pattern carries its date-time rule, and a format check would be a second,
 * different rule. One difference remains: JSON Schema counts a string's length in code points,
 * zod in UTF-16 units, so an `id` of 65 to 128 characters outside the Basic Multilingual Plane
 * passes here and not in zod (the producer's ids are UUIDs). Export `v0`.
 */
export async function envelopeValidatorSource(): Promise<string> {
  const { EnvelopeSchema } = await import('../../lambdas/shared/envelope-schema.ts');
  const { z } = await import('zod');
  // Input mode: unknown fields are allowed (and then dropped), as the zod object allows them.
  const schema = z.toJSONSchema(EnvelopeSchema, { target: 'draft-4', io: 'input' });
  return [
    '// @ts-nocheck',
    '// Generated from lambdas/shared/envelope-schema.ts by `npm run generate:validators` (ajv standalone). Do not edit.',
    standaloneValidatorsSource({ v0: schema }, 'package', { validateFormats: false }),
  ].join('\n');
}

/** Regenerates lambdas/shared/envelope-validator.generated.ts. */
export async function writeEnvelopeValidator(): Promise<void> {
  writeFileSync(ENVELOPE_VALIDATOR_FILE, await envelopeValidatorSource());
}

/**
 * The event data's document: the body's, with the route's path parameters added as required
 * strings by the rule the producer checks them with (`PATH_PARAMETER`), since the producer
 * publishes the body merged with them (a parameter wins over a body field of its name).
 */
export function eventDataSchema(body: Record<string, unknown>, resourcePath: string): Record<string, unknown> {
  const parameters = pathParameterNames(resourcePath);
  if (parameters.length === 0) return body;
  const required = ((body.required as string[] | undefined) ?? []).filter((name) => !parameters.includes(name));
  return {
    ...body,
    properties: {
      ...(body.properties as Record<string, unknown> | undefined),
      ...Object.fromEntries(parameters.map((name) => [name, { type: 'string', pattern: PATH_PARAMETER.source }])),
    },
    required: [...required, ...parameters],
  };
}
