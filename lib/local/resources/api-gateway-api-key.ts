import { isTrue, localId, type ResourceType } from './resource-type.ts';

/** An API key; enabled keys are accepted in `x-api-key` by methods that require one. */
export const apiGatewayApiKey: ResourceType = {
  type: 'AWS::ApiGateway::ApiKey',
  summary: 'An enabled API key, accepted in `x-api-key`. A key without a Value gets a generated one, kept in the data folder.',
  properties: { used: ['Value', 'Enabled', 'Name', 'StageKeys'], ignored: ['Description', 'Tags', 'GenerateDistinctId', 'CustomerId'] },
  refDescription: 'a stable local key id',
  ref: (resource) => localId(resource.id),
  attributes: { APIKeyId: (resource) => localId(resource.id) },
  read(resource, model) {
    if (!isTrue(resource.resolved('Enabled') ?? false)) return;
    const value = resource.string('Value') ?? resource.stack.apiKeyValue?.(resource.id);
    if (!value) return resource.unsupported('Value', 'the key has no value and no generator was given');
    model.apiKeys.push({ logicalId: resource.id, id: localId(resource.id), value });
  },
};
