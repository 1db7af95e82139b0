import type { EmulatorEnv, EmulatorModule } from '../env.js';

/** STUB: replaced by the real module. */
export function createCiModule(_env: EmulatorEnv): EmulatorModule {
  return { handlers: {} };
}
