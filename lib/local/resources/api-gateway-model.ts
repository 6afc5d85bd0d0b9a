import type { ResourceType } from './resource-type.ts';

/** A request model (JSON Schema draft 4); read when a method names it in RequestModels. */
export const apiGatewayModel: ResourceType = {
  type: 'AWS::ApiGateway::Model',
  summary: 'A request model (JSON Schema draft 4), used to validate request bodies of the methods that name it.',
  properties: { used: ['RestApiId', 'ContentType', 'Name', 'Schema'], ignored: ['Description'] },
  refDescription: 'the model name',
  ref: (resource) => resource.string('Name') ?? resource.logicalId,
  attributes: {},
};
