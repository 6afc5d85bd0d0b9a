import { describe, expect, it } from 'vitest';
import {
  AssemblyNotFoundError,
  AwsEndpointStoppedError,
  IntrinsicResolutionError,
  LocalRuntimeError,
  PortInUseError,
  ProvisioningError,
  StackNotFoundError,
  SynthError,
  UnsupportedTemplateError,
  UsageError,
} from '../../../lib/local/errors.ts';
import { UsageError as SharedUsageError, USAGE_EXIT_CODE } from '../../../lib/shared/usage.ts';

describe('local runtime errors', () => {
  it('reports bad usage with the one UsageError of every command line (exit code 2)', () => {
    // Act
    const error = new UsageError('--port must be a port number');

    // Assess
    expect(error).toBeInstanceOf(SharedUsageError);
    expect(error.exitCode).toBe(USAGE_EXIT_CODE);
    expect(USAGE_EXIT_CODE).toBe(2);
  });

  it.each([
    ['AssemblyNotFoundError', new AssemblyNotFoundError('m')],
    ['SynthError', new SynthError('m')],
    ['ProvisioningError', new ProvisioningError('m')],
    ['StackNotFoundError', new StackNotFoundError('S', [])],
    ['UnsupportedTemplateError', new UnsupportedTemplateError([{ logicalId: 'Id', resourceType: 'AWS::X::Y', property: 'P', reason: 'why' }])],
    ['IntrinsicResolutionError', new IntrinsicResolutionError('path', 'why')],
    ['PortInUseError', new PortInUseError(1, '--port')],
    ['AwsEndpointStoppedError', new AwsEndpointStoppedError(1)],
  ])('%s carries its own name and is a LocalRuntimeError', (name, error) => {
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(LocalRuntimeError);
  });

  it('keeps the cause', () => {
    // Prepare
    const cause = new Error('root');

    // Act
    const error = new ProvisioningError('wrapped', { cause });

    // Assess
    expect(error.cause).toBe(cause);
  });
});
