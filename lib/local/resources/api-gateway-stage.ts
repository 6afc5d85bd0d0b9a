import { addThrottle, apiOf } from './api-gateway-rest-api.ts';
import type { ResourceType } from './resource-type.ts';

/** The API's stage: its name is the local URL prefix, its stage-wide throttle is enforced. */
export const apiGatewayStage: ResourceType = {
  type: 'AWS::ApiGateway::Stage',
  summary: 'The stage name (the gateway also serves under `/<stage>/`) and stage-wide throttling (MethodSettings with ResourcePath `/*`, HttpMethod `*`).',
  properties: {
    used: ['RestApiId', 'StageName', 'DeploymentId', 'MethodSettings'],
    ignored: ['Description', 'TracingEnabled', 'AccessLogSetting', 'Tags', 'CacheClusterEnabled', 'CacheClusterSize'],
  },
  refDescription: 'the stage name',
  ref: (resource) => resource.string('StageName') ?? resource.logicalId,
  attributes: {},
  read(resource, model) {
    const api = apiOf(resource, model);
    api.stageName ??= resource.string('StageName') ?? resource.logicalId;
    for (const setting of (resource.resolved('MethodSettings') ?? []) as Record<string, unknown>[]) {
      if (setting.ResourcePath !== '/*' || setting.HttpMethod !== '*') {
        resource.unsupported('MethodSettings', 'only stage-wide settings (ResourcePath /*, HttpMethod *) are emulated');
      }
      addThrottle(api, setting);
    }
  },
};
