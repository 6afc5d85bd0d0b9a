/**
 * The supported-types reference of docs/local-runtime.md, generated from the registry so the two
 * cannot drift (test/unit/local/resources.test.ts checks the doc holds exactly this text).
 *
 * Regenerate after changing a type: `npx tsx lib/local/resources/reference.ts docs/local-runtime.md`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RESOURCE_TYPES, SKIPPED_CUSTOM_RESOURCES, SKIPPED_TYPES } from './index.ts';

export const REFERENCE_START = '<!-- resource-reference:start (generated from lib/local/resources; do not edit by hand) -->';
export const REFERENCE_END = '<!-- resource-reference:end -->';

const code = (names: readonly string[]) => (names.length === 0 ? '—' : names.map((name) => `\`${name}\``).join(', '));

/** Markdown: one section per supported type, then the skipped types. */
export function resourceReference(): string {
  const sections = RESOURCE_TYPES.map((type) =>
    [
      `### ${type.type}`,
      '',
      type.summary,
      '',
      `- **Used:** ${code(type.properties.used)}`,
      `- **Ignored (no local effect):** ${code(type.properties.ignored)}`,
      `- **Ref:** ${type.refDescription}`,
      `- **Fn::GetAtt:** ${code(Object.keys(type.attributes))}`,
    ].join('\n'),
  );
  return [
    REFERENCE_START,
    '',
    ...sections.flatMap((section) => [section, '']),
    '### Skipped (no local meaning)',
    '',
    `Listed at start-up, never emulated: ${code(SKIPPED_TYPES)}; the CDK housekeeping custom resources ${code(SKIPPED_CUSTOM_RESOURCES)} and the Lambda functions that serve them; SNS subscriptions with protocol \`email\`, \`email-json\` or \`sms\`.`,
    '',
    REFERENCE_END,
  ].join('\n');
}

/** Replaces the generated part of `docPath` (between the markers) with the current reference. */
export function writeReference(docPath: string): void {
  const doc = readFileSync(docPath, 'utf8');
  const start = doc.indexOf(REFERENCE_START);
  const end = doc.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error(`${docPath} has no ${REFERENCE_START} … ${REFERENCE_END} section`);
  writeFileSync(docPath, doc.slice(0, start) + resourceReference() + doc.slice(end + REFERENCE_END.length));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname) && process.argv[2]) writeReference(process.argv[2]);
