// Placeholder entry so the CDK construct can bundle this path; the real handler follows shortly.
export const handler = async (): Promise<never> => {
  throw new Error('not implemented yet');
};
