import { localId, type ResourceType } from './resource-type.ts';

/** A request validator; read when a method names it in RequestValidatorId. */
export const apiGatewayRequestValidator: ResourceType = {
  type: 'AWS::ApiGateway::RequestValidator',
  summary: 'Body and parameter validation for the methods that name it.',
  properties: { used: ['RestApiId', 'Name', 'ValidateRequestBody', 'ValidateRequestParameters'], ignored: [] },
  refDescription: 'a stable local validator id',
  ref: (resource) => localId(resource.id),
  attributes: { RequestValidatorId: (resource) => localId(resource.id) },
};
