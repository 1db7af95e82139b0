import type { EmulatorClock } from '../clock.js';
import type { FaultController, FaultDecision, ForcedJobFailure } from '../env.js';
import type { FaultConfig, Operation } from './fault-config.js';

/** STUB: replaced by the real controller. */
export class RandomFaultController implements FaultController {
  config: FaultConfig;
  constructor(config: FaultConfig, _clock: EmulatorClock) {
    this.config = config;
  }
  update(config: FaultConfig): void {
    this.config = config;
  }
  decide(_operation: Operation): FaultDecision {
    return { dropBefore: false, dropAfter: false, corruptCrc: false, latencyMs: 0 };
  }
  jobFailure(): ForcedJobFailure | undefined {
    return undefined;
  }
  stats(): Record<string, number> {
    return {};
  }
}
