import { IntrinsicResolutionError } from '../errors.ts';
import { localId, type ResourceType, type StackScope } from './resource-type.ts';

/** A path part of a REST API; read when a method names it (see `resourcePath`). */
export const apiGatewayResource: ResourceType = {
  type: 'AWS::ApiGateway::Resource',
  summary: 'A path part of a REST API, `{param}` and greedy `{proxy+}` included; becomes part of its methods\' routes.',
  properties: { used: ['ParentId', 'PathPart', 'RestApiId'], ignored: [] },
  refDescription: 'a stable local resource id',
  ref: (resource) => localId(resource.id),
  attributes: { ResourceId: (resource) => localId(resource.id) },
};

/** The path (`/users/{userId}`) of the API Gateway resource `resourceId` in API `apiId`. */
export function resourcePath(stack: StackScope, apiId: string, resourceId: string): string {
  if (resourceId === `${apiId}-root`) return '/';
  const resource = stack.resources(apiGatewayResource.type).find((candidate) => stack.ref(candidate.logicalId) === resourceId);
  if (!resource) throw new IntrinsicResolutionError(resourceId, 'unknown API Gateway resource');
  const parent = resourcePath(stack, apiId, resource.string('ParentId')!);
  return `${parent === '/' ? '' : parent}/${resource.string('PathPart')}`;
}
