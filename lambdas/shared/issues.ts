import type { z } from 'zod';

/**
 * A zod error as `/path: message` pairs. Names fields, never their values, so it is safe in logs
 * and failure records whatever the payload holds.
 */
export const describeIssues = (error: z.ZodError): string =>
  error.issues.map((issue) => `/${issue.path.map(String).join('/')}: ${issue.message}`).join('; ');
