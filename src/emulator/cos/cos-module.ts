import type { EmulatorEnv, EmulatorModule } from '../env.js';

/** STUB: replaced by the real module. */
export function createCosModule(_env: EmulatorEnv): EmulatorModule {
  return { handlers: {} };
}
