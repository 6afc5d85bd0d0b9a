import { apiOf } from './api-gateway-rest-api.ts';
import { resourcePath } from './api-gateway-resource.ts';
import { apiGatewayModel } from './api-gateway-model.ts';
import { apiGatewayRequestValidator } from './api-gateway-request-validator.ts';
import { functionByReference, isTrue, localId, type ResourceType } from './resource-type.ts';

/** A method with a Lambda proxy integration: one route of the local gateway. */
export const apiGatewayMethod: ResourceType = {
  type: 'AWS::ApiGateway::Method',
  summary:
    'A route of the local gateway: a method (or ANY) with a Lambda proxy integration (AWS_PROXY), API key requirement, request validator, models and required parameters. Other integrations and authorizers are reported.',
  properties: {
    used: ['HttpMethod', 'ResourceId', 'RestApiId', 'AuthorizationType', 'ApiKeyRequired', 'RequestValidatorId', 'RequestModels', 'RequestParameters', 'Integration'],
    ignored: ['MethodResponses', 'OperationName'],
  },
  refDescription: 'a stable local method id',
  ref: (resource) => localId(resource.id),
  attributes: {},
  read(resource, model) {
    const api = apiOf(resource, model);
    const apiId = resource.string('RestApiId')!;
    const integration = (resource.resolved('Integration') ?? {}) as { Type?: string; Uri?: string };
    if (integration.Type !== 'AWS_PROXY') {
      resource.unsupported('Integration.Type', `integration ${String(integration.Type)} is not emulated (only Lambda proxy, AWS_PROXY)`);
    }
    const fn = functionByReference(integration.Uri ?? '', model.functions);
    if (!fn) return resource.unsupported('Integration.Uri', 'the integration does not target a function of the assembly');
    const authorizationType = resource.string('AuthorizationType') ?? 'NONE';
    if (authorizationType !== 'NONE') resource.unsupported('AuthorizationType', `authorization ${authorizationType} is not emulated`);

    const { stack } = resource;
    const validatorId = resource.string('RequestValidatorId');
    const validator = validatorId ? stack.resources(apiGatewayRequestValidator.type).find((candidate) => stack.ref(candidate.logicalId) === validatorId) : undefined;
    if (validatorId && !validator) resource.unsupported('RequestValidatorId', `${validatorId} is not a request validator of this stack`);
    const models = stack.resources(apiGatewayModel.type).filter((candidate) => candidate.string('RestApiId') === apiId);
    const requestModels = Object.fromEntries(
      Object.entries((resource.resolved('RequestModels') ?? {}) as Record<string, string>).map(([contentType, modelName]) => {
        const found = models.find((candidate) => stack.ref(candidate.logicalId) === modelName);
        if (!found) return resource.unsupported('RequestModels', `unknown model ${modelName}`);
        return [contentType, found.resolved('Schema') as object];
      }),
    );
    api.routes.push({
      method: resource.string('HttpMethod')!.toUpperCase(),
      resourcePath: resourcePath(stack, apiId, resource.string('ResourceId')!),
      functionLogicalId: fn.logicalId,
      apiKeyRequired: isTrue(resource.resolved('ApiKeyRequired')),
      authorizationType,
      validateRequestBody: validator ? isTrue(validator.resolved('ValidateRequestBody')) : false,
      validateRequestParameters: validator ? isTrue(validator.resolved('ValidateRequestParameters')) : false,
      requestModels,
      requestParameters: Object.fromEntries(
        Object.entries((resource.resolved('RequestParameters') ?? {}) as Record<string, unknown>).map(([key, required]) => [key, isTrue(required)]),
      ),
    });
  },
};
