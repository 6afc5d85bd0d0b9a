import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { StackNotFoundError, UnsupportedTemplateError } from '../../../lib/local/errors.ts';
import { RESOURCE_TYPES, isSkippedType } from '../../../lib/local/resources/index.ts';
import { resourceReference } from '../../../lib/local/resources/reference.ts';
import { readCloudAssembly } from '../../../lib/local/template-reader.ts';

const ENDPOINT = 'http://127.0.0.1:4566';
const API_URL = 'http://127.0.0.1:3000/';
const DOC = new URL('../../../docs/local-runtime.md', import.meta.url);

const read = (assemblyDir: string, stackNames?: string[]) =>
  readCloudAssembly({ assemblyDir, ...(stackNames ? { stackNames } : {}), endpoint: ENDPOINT, apiUrl: API_URL, apiKeyValue: () => 'k'.repeat(40) });

/** An assembly of hand-written stack templates; `dependencies` as CDK writes them for cross-stack references. */
function assemblyOf(stacks: Record<string, { Resources?: Record<string, unknown>; Outputs?: Record<string, unknown> }>, dependencies: Record<string, string[]> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'queueflow-assembly-'));
  const artifacts = Object.fromEntries(
    Object.keys(stacks).map((name) => [name, { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: `${name}.template.json` }, ...(dependencies[name] ? { dependencies: dependencies[name] } : {}) }]),
  );
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }));
  for (const [name, template] of Object.entries(stacks)) writeFileSync(join(dir, `${name}.template.json`), JSON.stringify(template));
  return dir;
}

const unsupportedOf = (act: () => unknown): UnsupportedTemplateError => {
  try {
    act();
  } catch (error) {
    if (error instanceof UnsupportedTemplateError) return error;
    throw error;
  }
  throw new Error('expected an UnsupportedTemplateError');
};

describe('the resource type registry', () => {
  it('registers each type once, with no property both used and ignored', () => {
    // Assess
    const types = RESOURCE_TYPES.map((type) => type.type);
    expect(new Set(types).size).toBe(types.length);
    for (const type of RESOURCE_TYPES) {
      expect(type.properties.used.filter((property) => type.properties.ignored.includes(property)), type.type).toEqual([]);
      expect(isSkippedType(type.type), type.type).toBe(false);
    }
  });

  it('is documented in docs/local-runtime.md exactly as generated (npx tsx lib/local/resources/reference.ts docs/local-runtime.md)', () => {
    // Act
    const doc = readFileSync(DOC, 'utf8');

    // Assess
    expect(doc).toContain(resourceReference());
    for (const type of RESOURCE_TYPES) expect(doc).toContain(`### ${type.type}`);
  });
});

describe('readCloudAssembly reports everything unsupported at once', () => {
  it('lists every unsupported resource and property of every stack in one error', () => {
    // Prepare
    const dir = assemblyOf({
      First: {
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket' },
          Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: '{}' } },
          Jobs: { Type: 'AWS::SNS::Topic', Properties: { DataProtectionPolicy: { Statement: [] } } },
          Fine: { Type: 'AWS::SQS::Queue' },
        },
      },
      Second: {
        Resources: {
          Report: { Type: 'AWS::Lambda::Function', Metadata: { 'aws:asset:path': 'asset.x' }, Properties: { Runtime: 'python3.13', Handler: 'index.handler', Layers: ['arn'] } },
          Nested: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'https://example.com/t.json' } },
        },
        Outputs: { Broken: { Value: { 'Fn::GetAZs': '' } } },
      },
    });

    // Act
    const error = unsupportedOf(() => read(dir));

    // Assess
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ logicalId: 'First/Bucket', resourceType: 'AWS::S3::Bucket', reason: 'this resource type is not emulated' }),
        expect.objectContaining({ logicalId: 'First/Machine', resourceType: 'AWS::StepFunctions::StateMachine' }),
        expect.objectContaining({ logicalId: 'First/Jobs', resourceType: 'AWS::SNS::Topic', property: 'DataProtectionPolicy' }),
        expect.objectContaining({ logicalId: 'Second/Report', property: 'Layers' }),
        expect.objectContaining({ logicalId: 'Second/Report', property: 'Runtime' }),
        expect.objectContaining({ logicalId: 'Second/Nested', resourceType: 'AWS::CloudFormation::Stack' }),
        expect.objectContaining({ logicalId: 'Second/Broken', resourceType: 'output' }),
      ]),
    );
    expect(error.problems).toHaveLength(7);
    expect(error.message).toMatch(/^Unsupported in the local runtime \(7 problems\):\n {2}- First\/Bucket \(AWS::S3::Bucket\): this resource type is not emulated\n/);
    expect(error.message).toContain('First/Jobs (AWS::SNS::Topic) property DataProtectionPolicy: this property would change behaviour and is not emulated');
    expect(error.message).toContain('Second/Report (AWS::Lambda::Function) property Runtime: runtime python3.13 is not run locally (Node.js only)');
  });

  it('reports what a reader refuses next to what the property check found', () => {
    // Prepare
    const dir = assemblyOf({
      Only: {
        Resources: {
          T: { Type: 'AWS::SNS::Topic' },
          Hook: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'T' }, Protocol: 'https', Endpoint: 'https://hooks.example.com/' } },
          Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::If': ['C', 'a', 'b'] } } },
          B: { Type: 'AWS::S3::Bucket' },
        },
      },
    });

    // Act
    const error = unsupportedOf(() => read(dir));

    // Assess: one stack, so the logical ids stay bare.
    expect(error.problems.map((problem) => `${problem.logicalId} ${problem.property ?? ''}`.trim()).sort()).toEqual(['B', 'Hook Protocol', 'Q QueueName.Fn::If']);
  });
});

describe('readCloudAssembly on several stacks', () => {
  const twoStacks = () =>
    assemblyOf({
      Data: {
        Resources: { Table: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] } } },
        Outputs: {
          TableName: { Value: { Ref: 'Table' } },
          Exported: { Value: { 'Fn::GetAtt': ['Table', 'Arn'] }, Export: { Name: { 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, ':TableArn']] } } },
        },
      },
      App: {
        Resources: {
          // The same logical id as in Data: two stacks of one class share them.
          Table: { Type: 'AWS::SQS::Queue' },
          Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Table', 'Arn'] }, maxReceiveCount: 2 } } },
        },
        Outputs: { TableArn: { Value: { 'Fn::ImportValue': 'Data:TableArn' } }, TableName: { Value: 'shadowed' } },
      },
    }, { App: ['Data'] });

  it('runs every stack by default, qualifies logical ids and resolves Fn::ImportValue against the exports', () => {
    // Act
    const model = read(twoStacks());

    // Assess
    expect(model.stackNames).toEqual(['Data', 'App']);
    expect(model.stackName).toBe('Data,App');
    expect(model.tables.map((table) => [table.logicalId, table.name])).toEqual([['Data/Table', 'Data-Table']]);
    expect(model.queues.map((queue) => queue.logicalId)).toEqual(['App/Table', 'App/Queue']);
    expect(model.outputs.TableArn).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/Data-Table');
    expect(model.outputs['App.TableArn']).toBe(model.outputs.TableArn);
    expect(model.outputs['Data.TableName']).toBe('Data-Table');
    expect(model.outputs['App.TableName']).toBe('shadowed');
    expect(model.outputs).not.toHaveProperty('TableName');
  });

  it('runs only the stacks named, and reports an import whose exporter is not among them', () => {
    // Prepare
    const dir = twoStacks();

    // Act
    const data = read(dir, ['Data']);
    const error = unsupportedOf(() => read(dir, ['App']));

    // Assess
    expect(data.stackNames).toEqual(['Data']);
    expect(data.tables[0]!.logicalId).toBe('Table');
    expect(error.problems).toEqual([expect.objectContaining({ logicalId: 'TableArn', resourceType: 'output', reason: expect.stringMatching(/no selected stack exports Data:TableArn/) })]);
  });

  it('names the stacks there are when a selected one is missing', () => {
    expect(() => read(twoStacks(), ['Nope'])).toThrow(StackNotFoundError);
    expect(() => read(twoStacks(), ['Nope'])).toThrow(/"Nope".*Data, App/);
  });
});

describe('readCloudAssembly finds function code', () => {
  it('in the asset manifest when the template carries no asset metadata', () => {
    // Prepare: a bare App writes no aws:asset:path (the CDK CLI turns that on).
    const outdir = mkdtempSync(join(tmpdir(), 'queueflow-no-metadata-'));
    const codeDir = mkdtempSync(join(tmpdir(), 'queueflow-code-'));
    writeFileSync(join(codeDir, 'index.js'), 'exports.handler = async () => 1;\n');
    const app = new App({ outdir });
    new lambda.Function(new Stack(app, 'Bare'), 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(codeDir) });
    app.synth();

    // Act
    const [fn] = read(outdir).functions;

    // Assess
    expect(fn!.assetDir.startsWith(join(outdir, 'asset.'))).toBe(true);
    expect(existsSync(join(fn!.assetDir, 'index.js'))).toBe(true);
  });

  it('in inline code, written out as index.js', () => {
    // Prepare
    const source = 'exports.handler = async () => "inline";';
    const dir = assemblyOf({ Inline: { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: source } } } } } });

    // Act
    const [fn] = read(dir).functions;

    // Assess
    expect(readFileSync(join(fn!.assetDir, 'index.js'), 'utf8')).toBe(source);
  });
});
