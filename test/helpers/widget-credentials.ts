import { getFederationToken, type FederationToken } from '../../demo/host/sts-client.js';
import { widgetPolicy } from '../../demo/host/widget-policy.js';
import type { EmulatorEndpoints } from '../../src/emulator/index.js';
import { BUCKET, REGION } from './emulator.js';

/**
 * Temporary credentials for the widget's policy on the whole of {@link BUCKET}, from the emulator's STS over HTTP,
 * as the demo host fetches them for a page: what a page's `getAuthorization` returns.
 */
export function widgetCredentials(endpoints: EmulatorEndpoints): Promise<FederationToken> {
  return getFederationToken({
    endpoint: endpoints.sts,
    secretId: endpoints.secretId,
    secretKey: endpoints.secretKey,
    region: REGION,
    policy: widgetPolicy({ appId: endpoints.appId, bucket: BUCKET, region: REGION, prefix: '' }),
  });
}
