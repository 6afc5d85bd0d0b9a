import { IntrinsicResolutionError } from './errors.ts';

/**
 * What the resolver needs from the template reader: the local value of `Ref` and `Fn::GetAtt`
 * for a logical id. Both throw `IntrinsicResolutionError` for an unknown logical id.
 */
export interface IntrinsicContext {
  ref(logicalId: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
  /** Pseudo parameters (`AWS::Region`, …) by name; see `pseudoParameters`. */
  readonly pseudo: Readonly<Record<string, string>>;
  /** The template's `Mappings`, for `Fn::FindInMap`. */
  readonly mappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  /**
   * The value another stack exports under `name`, for `Fn::ImportValue`; throws
   * `IntrinsicResolutionError` when no stack exports it. Without it, `Fn::ImportValue` is refused.
   */
  importValue?(name: string): unknown;
}

/** The local account and URL suffix; region and stack name come from the stack. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export function pseudoParameters(options: {
  stackName: string;
  region?: string;
  accountId?: string;
}): Record<string, string> {
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  return {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': options.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${region}:${accountId}:stack/${options.stackName}/local`,
    'AWS::NotificationARNs': '',
  };
}

/** `Ref: AWS::NoValue` removes the property (or list element) that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

// Intrinsics CDK can emit that have no sound local value (or need Conditions, which stacks rarely
// use): reported rather than guessed.
const UNSUPPORTED = new Set(['Fn::If', 'Fn::GetAZs', 'Fn::Cidr', 'Fn::Transform', 'Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Condition', 'Fn::ToJsonString', 'Fn::Length']);

/**
 * Resolves every intrinsic function in `value` to a plain JSON value.
 *
 * @param path where the value sits (`Outputs.ApiUrl`, `Resources.Q.Properties.RedrivePolicy`),
 *   used in error messages.
 * @example
 * resolveIntrinsics({ 'Fn::Join': ['-', [{ Ref: 'AWS::Region' }, 'x']] }, ctx) // 'us-east-1-x'
 */
export function resolveIntrinsics(value: unknown, context: IntrinsicContext, path = ''): unknown {
  const resolved = resolveNode(value, context, path);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Like `resolveIntrinsics`, but the result must be a string. */
export function resolveString(value: unknown, context: IntrinsicContext, path = ''): string {
  const resolved = resolveIntrinsics(value, context, path);
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  throw new IntrinsicResolutionError(path, `expected a string, got ${JSON.stringify(resolved)}`);
}

function resolveNode(value: unknown, context: IntrinsicContext, path: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => resolveNode(item, context, `${path}[${index}]`)).filter((item) => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, argument] = entries[0]!;
    if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') {
      return resolveFunction(key, argument, context, `${path}.${key}`);
    }
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolveNode(item, context, path ? `${path}.${key}` : key);
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

function resolveFunction(name: string, argument: unknown, context: IntrinsicContext, path: string): unknown {
  if (UNSUPPORTED.has(name)) {
    throw new IntrinsicResolutionError(path, `${name} is not supported by the local runtime`);
  }
  switch (name) {
    case 'Ref':
      return resolveRef(expectString(argument, path, 'a logical id'), context, path);
    case 'Fn::GetAtt':
      return resolveGetAtt(argument, context, path);
    case 'Fn::ImportValue': {
      const importValue = context.importValue;
      if (!importValue) throw new IntrinsicResolutionError(path, 'Fn::ImportValue is not supported here');
      const name = scalar(resolveNode(argument, context, path), path);
      return located(path, () => importValue(name));
    }
    case 'Fn::Join': {
      const [separator, items] = expectArray(argument, path, 2);
      const list = resolveNode(items, context, path);
      if (!Array.isArray(list)) throw new IntrinsicResolutionError(path, 'Fn::Join needs a list');
      return list.map((item, index) => scalar(item, `${path}[${index}]`)).join(expectString(separator, path, 'a separator'));
    }
    case 'Fn::Select': {
      const [indexValue, items] = expectArray(argument, path, 2);
      const index = Number(resolveNode(indexValue, context, path));
      const list = resolveNode(items, context, path);
      if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new IntrinsicResolutionError(path, `Fn::Select index ${String(index)} is outside the list`);
      }
      return list[index];
    }
    case 'Fn::Split': {
      const [separator, source] = expectArray(argument, path, 2);
      return scalar(resolveNode(source, context, path), path).split(expectString(separator, path, 'a separator'));
    }
    case 'Fn::Sub':
      return resolveSub(argument, context, path);
    case 'Fn::Base64':
      return Buffer.from(scalar(resolveNode(argument, context, path), path)).toString('base64');
    case 'Fn::FindInMap': {
      const [map, top, second] = expectArray(argument, path, 3).map((item) => scalar(resolveNode(item, context, path), path));
      const found = context.mappings?.[map!]?.[top!]?.[second!];
      if (found === undefined) throw new IntrinsicResolutionError(path, `no mapping ${map}.${top}.${second}`);
      return found;
    }
    default:
      throw new IntrinsicResolutionError(path, `unknown intrinsic ${name}`);
  }
}

function resolveRef(target: string, context: IntrinsicContext, path: string): unknown {
  if (target === 'AWS::NoValue') return NO_VALUE;
  if (target.startsWith('AWS::')) {
    const pseudo = context.pseudo[target];
    if (pseudo === undefined) throw new IntrinsicResolutionError(path, `unknown pseudo parameter ${target}`);
    return pseudo;
  }
  return located(path, () => context.ref(target));
}

/** Errors from the context know the logical id, not where the reference sits: add that. */
function located(path: string, lookup: () => unknown): unknown {
  try {
    return lookup();
  } catch (error) {
    if (!(error instanceof IntrinsicResolutionError) || error.path === path) throw error;
    throw new IntrinsicResolutionError(path, error.reason, { cause: error });
  }
}

function resolveGetAtt(argument: unknown, context: IntrinsicContext, path: string): unknown {
  // Both forms are legal: ["Res", "Attr"] and "Res.Attr" (the attribute may itself contain dots).
  const [logicalId, attribute] =
    typeof argument === 'string'
      ? [argument.slice(0, argument.indexOf('.')), argument.slice(argument.indexOf('.') + 1)]
      : expectArray(argument, path, 2).map((item) => scalar(resolveNode(item, context, path), path));
  if (!logicalId || !attribute) throw new IntrinsicResolutionError(path, `malformed Fn::GetAtt ${JSON.stringify(argument)}`);
  return located(path, () => context.getAtt(logicalId, attribute));
}

function resolveSub(argument: unknown, context: IntrinsicContext, path: string): string {
  const [template, variables] =
    typeof argument === 'string' ? [argument, {}] : (expectArray(argument, path, 2) as [unknown, unknown]);
  const text = expectString(template, path, 'a template string');
  const values = (resolveNode(variables ?? {}, context, path) ?? {}) as Record<string, unknown>;
  // `${!Literal}` is an escaped `${Literal}`.
  return text.replace(/\$\{(!?)([^}]*)\}/g, (_match, escape: string, name: string) => {
    if (escape) return `\${${name}}`;
    const trimmed = name.trim();
    if (trimmed in values) return scalar(values[trimmed], `${path}.${trimmed}`);
    const dot = trimmed.indexOf('.');
    const resolved =
      dot > 0 && !trimmed.startsWith('AWS::')
        ? located(path, () => context.getAtt(trimmed.slice(0, dot), trimmed.slice(dot + 1)))
        : resolveRef(trimmed, context, path);
    return scalar(resolved, `${path}.${trimmed}`);
  });
}

function scalar(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicResolutionError(path, `expected a string, got ${JSON.stringify(value)}`);
}

function expectString(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string') throw new IntrinsicResolutionError(path, `expected ${what}, got ${JSON.stringify(value)}`);
  return value;
}

function expectArray(value: unknown, path: string, length: number): unknown[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw new IntrinsicResolutionError(path, `expected a list of ${length} arguments, got ${JSON.stringify(value)}`);
  }
  return value;
}
