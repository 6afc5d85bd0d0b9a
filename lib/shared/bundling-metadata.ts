/**
 * What a function's CloudFormation Metadata records about its esbuild bundle, so the local runtime
 * can rebuild that bundle by itself when its source changes instead of re-running `cdk synth`.
 * Written by `recordLocalBundling` (lib/constructs), read by the local runtime's template reader.
 */

/** The Metadata key on an `AWS::Lambda::Function` resource. */
export const BUNDLING_METADATA_KEY = 'queueflow:bundling';

/**
 * The esbuild build options NodejsFunction passes on its command line, in esbuild's JavaScript API
 * form. Only JSON values: this travels in the template.
 */
export interface RecordedEsbuildOptions {
  readonly bundle: true;
  readonly platform: 'node';
  readonly target: string;
  readonly format?: 'cjs' | 'esm';
  readonly minify?: boolean;
  readonly sourcemap?: boolean | 'external' | 'inline' | 'both';
  readonly sourcesContent?: boolean;
  readonly external?: readonly string[];
  readonly loader?: Readonly<Record<string, string>>;
  readonly define?: Readonly<Record<string, string>>;
  readonly keepNames?: boolean;
  readonly banner?: Readonly<{ js: string }>;
  readonly footer?: Readonly<{ js: string }>;
  readonly mainFields?: readonly string[];
}

/**
 * The Metadata value. Paths are relative to the folder of the stack's cloud assembly (as
 * `aws:asset:path` is), so the template does not name a machine's home folder.
 */
export interface RecordedBundling {
  /** The entry file. */
  readonly entry: string;
  /** Where esbuild runs (NodejsFunction's project root). */
  readonly workingDir: string;
  /** The bundle's file name in the asset folder: `index.mjs` for ESM, else `index.js`. */
  readonly outfile: string;
  /** `tsconfig`, when the function names one (esbuild otherwise finds the nearest itself). */
  readonly tsconfig?: string;
  /** Files esbuild injects (`inject`). */
  readonly inject?: readonly string[];
  /**
   * esbuild `alias` (NodejsFunction `esbuildArgs` `--alias`): a target starting with a dot is a
   * path relative to the assembly folder, any other a package name.
   */
  readonly alias?: Readonly<Record<string, string>>;
  readonly esbuild: RecordedEsbuildOptions;
}
