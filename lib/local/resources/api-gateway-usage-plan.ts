import { addThrottle } from './api-gateway-rest-api.ts';
import { localId, type ResourceType } from './resource-type.ts';

/** A usage plan's throttle, applied to the APIs of its ApiStages. Quotas are not enforced. */
export const apiGatewayUsagePlan: ResourceType = {
  type: 'AWS::ApiGateway::UsagePlan',
  summary: 'The plan-wide throttle, applied to the APIs in ApiStages (the tightest of plan and stage wins). Per-method throttles are reported; Quota is ignored.',
  properties: { used: ['ApiStages', 'Throttle'], ignored: ['UsagePlanName', 'Description', 'Tags', 'Quota'] },
  refDescription: 'a stable local plan id',
  ref: (resource) => localId(resource.id),
  attributes: {},
  read(resource, model) {
    const apiStages = (resource.resolved('ApiStages') ?? []) as { ApiId?: string; Throttle?: object }[];
    for (const apiStage of apiStages) {
      if (apiStage.Throttle && Object.keys(apiStage.Throttle).length > 0) resource.unsupported('ApiStages.Throttle', 'per-method usage plan throttles are not emulated');
      const api = apiStage.ApiId === undefined ? undefined : model.apis.get(apiStage.ApiId);
      if (api) addThrottle(api, resource.resolved('Throttle') as never);
    }
  },
};
