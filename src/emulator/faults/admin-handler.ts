import type { EmulatorEnv, EmulatorModule, Handler } from '../env.js';
import type { EmulatorEndpoints } from '../emulator.js';
import { replyJson } from '../http/reply.js';

/** STUB: replaced by the real admin endpoint. */
export function createAdminHandler(
  _env: EmulatorEnv,
  _modules: readonly EmulatorModule[],
  _endpoints: () => EmulatorEndpoints,
): Handler {
  return (ctx) => replyJson(ctx, 404, { error: 'NotFound' });
}
