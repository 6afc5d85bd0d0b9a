import { apiOf } from './api-gateway-rest-api.ts';
import { localId, type ResourceType } from './resource-type.ts';

/** A customized gateway response (status, headers, body template) for one ResponseType. */
export const apiGatewayGatewayResponse: ResourceType = {
  type: 'AWS::ApiGateway::GatewayResponse',
  summary: 'A customized error response (status code, headers, body template with `$context.error.*`) of the local gateway.',
  properties: { used: ['RestApiId', 'ResponseType', 'StatusCode', 'ResponseParameters', 'ResponseTemplates'], ignored: [] },
  refDescription: 'a stable local id',
  ref: (resource) => localId(resource.id),
  attributes: {},
  read(resource, model) {
    const api = apiOf(resource, model);
    const statusCode = resource.string('StatusCode');
    api.gatewayResponses[resource.string('ResponseType')!] = {
      ...(statusCode ? { statusCode } : {}),
      responseParameters: (resource.resolved('ResponseParameters') ?? {}) as Record<string, string>,
      responseTemplates: (resource.resolved('ResponseTemplates') ?? {}) as Record<string, string>,
    };
  },
};
