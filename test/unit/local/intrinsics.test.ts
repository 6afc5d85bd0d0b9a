import { describe, expect, it } from 'vitest';
import { IntrinsicResolutionError } from '../../../lib/local/errors.ts';
import { pseudoParameters, resolveIntrinsics, resolveString, type IntrinsicContext } from '../../../lib/local/intrinsics.ts';

const context: IntrinsicContext = {
  pseudo: pseudoParameters({ stackName: 'Stack' }),
  mappings: { Sizes: { small: { memory: 128 } } },
  ref: (logicalId) => {
    if (logicalId === 'Queue') return 'http://127.0.0.1:4566/000000000000/Stack-Queue';
    if (logicalId === 'Numbers') return '1,2,3';
    throw new IntrinsicResolutionError(logicalId, `no resource named ${logicalId}`);
  },
  getAtt: (logicalId, attribute) => {
    if (logicalId === 'Queue' && attribute === 'Arn') return 'arn:aws:sqs:us-east-1:000000000000:Stack-Queue';
    throw new IntrinsicResolutionError(`${logicalId}.${attribute}`, 'unknown attribute');
  },
};

describe('resolveIntrinsics', () => {
  it('returns plain values unchanged', () => {
    // Prepare
    const value = { a: 1, b: ['x', true, null], c: { d: 'e' } };

    // Act
    const resolved = resolveIntrinsics(value, context);

    // Assess
    expect(resolved).toEqual(value);
  });

  it('resolves the pseudo parameters to the local account and region', () => {
    // Act
    const resolved = ['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName'].map((name) =>
      resolveIntrinsics({ Ref: name }, context),
    );

    // Assess
    expect(resolved).toEqual(['us-east-1', '000000000000', 'aws', 'amazonaws.com', 'Stack']);
  });

  it('resolves Ref and both forms of Fn::GetAtt through the context', () => {
    // Act
    const resolved = resolveIntrinsics(
      { url: { Ref: 'Queue' }, arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, arn2: { 'Fn::GetAtt': 'Queue.Arn' } },
      context,
    );

    // Assess
    expect(resolved).toEqual({
      url: 'http://127.0.0.1:4566/000000000000/Stack-Queue',
      arn: 'arn:aws:sqs:us-east-1:000000000000:Stack-Queue',
      arn2: 'arn:aws:sqs:us-east-1:000000000000:Stack-Queue',
    });
  });

  it('resolves Fn::Join over nested intrinsics', () => {
    // Prepare
    const value = { 'Fn::Join': ['', ['https://', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', 7]] };

    // Act & Assess
    expect(resolveIntrinsics(value, context)).toBe('https://us-east-1.amazonaws.com/7');
  });

  it('resolves Fn::Select over Fn::Split', () => {
    // Prepare
    const value = { 'Fn::Select': [1, { 'Fn::Split': [',', { Ref: 'Numbers' }] }] };

    // Act & Assess
    expect(resolveIntrinsics(value, context)).toBe('2');
  });

  it('resolves Fn::Sub with pseudo parameters, attributes, own variables and escapes', () => {
    // Prepare
    const value = {
      'Fn::Sub': ['${AWS::StackName}-${Queue.Arn}-${Name}-${!Literal}', { Name: { 'Fn::Join': ['+', ['a', 'b']] } }],
    };

    // Act & Assess
    expect(resolveIntrinsics(value, context)).toBe('Stack-arn:aws:sqs:us-east-1:000000000000:Stack-Queue-a+b-${Literal}');
  });

  it('resolves the string form of Fn::Sub with a Ref', () => {
    expect(resolveIntrinsics({ 'Fn::Sub': 'queue ${Queue}' }, context)).toBe('queue http://127.0.0.1:4566/000000000000/Stack-Queue');
  });

  it('resolves Fn::FindInMap and Fn::Base64', () => {
    // Act
    const resolved = resolveIntrinsics({ m: { 'Fn::FindInMap': ['Sizes', 'small', 'memory'] }, b: { 'Fn::Base64': 'hi' } }, context);

    // Assess
    expect(resolved).toEqual({ m: 128, b: 'aGk=' });
  });

  it('drops properties and list items that are Ref AWS::NoValue', () => {
    // Act
    const resolved = resolveIntrinsics({ keep: 1, drop: { Ref: 'AWS::NoValue' }, list: ['a', { Ref: 'AWS::NoValue' }] }, context);

    // Assess
    expect(resolved).toEqual({ keep: 1, list: ['a'] });
  });

  it('names the path and the unknown logical id when a Ref cannot be resolved', () => {
    // Act
    const act = () => resolveIntrinsics({ Ref: 'Missing' }, context, 'Outputs.X');

    // Assess
    expect(act).toThrow(IntrinsicResolutionError);
    expect(act).toThrow(/Missing/);
  });

  it.each([['Fn::If'], ['Fn::ImportValue'], ['Fn::GetAZs'], ['Fn::Cidr']])('refuses %s instead of guessing', (name) => {
    // Act
    const act = () => resolveIntrinsics({ [name]: ['a', 'b', 'c'] }, context, 'Resources.R.Properties.P');

    // Assess
    expect(act).toThrow(new RegExp(`Resources.R.Properties.P.*${name} is not supported`));
  });

  it('refuses a Fn::Select index outside the list', () => {
    expect(() => resolveIntrinsics({ 'Fn::Select': [5, ['a']] }, context)).toThrow(/outside the list/);
  });

  it('refuses a malformed Fn::Join', () => {
    expect(() => resolveIntrinsics({ 'Fn::Join': ['-'] }, context)).toThrow(/list of 2 arguments/);
  });
});

describe('resolveString', () => {
  it('turns numbers into strings and refuses objects', () => {
    expect(resolveString(30, context)).toBe('30');
    expect(() => resolveString({ a: 1 }, context, 'P')).toThrow(/P: expected a string/);
  });
});
