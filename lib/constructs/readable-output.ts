import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * A stack output whose key is exactly `key` (no construct-path hash), because the CLI and the
 * local runtime look outputs up by these readable keys.
 */
export function addReadableOutput(scope: Construct, key: string, value: string, description: string): CfnOutput {
  const output = new CfnOutput(scope, key, { value, description });
  output.overrideLogicalId(key);
  return output;
}
