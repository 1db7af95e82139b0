import type { EmulatorClock } from '../clock.js';
import type { FaultController, FaultDecision, ForcedJobFailure } from '../env.js';
import { serviceError, type EmulatorError } from '../errors.js';
import { TokenBucket } from './bandwidth.js';
import type { FaultConfig, FaultRule, Operation } from './fault-config.js';

/** Injections a rule or `failJobs` makes when it names no `limit`. */
export const DEFAULT_FAULT_LIMIT = 1000;

/** Operations whose successful replies carry `x-cos-hash-crc64ecma`, the only ones `corruptCrcRate` applies to. */
export const CRC_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>([
  'PutObject',
  'GetObject',
  'HeadObject',
  'UploadPart',
  'CompleteMultipartUpload',
]);

/** mulberry32: a tiny, fast 32-bit generator; good enough for fault dice and fully determined by its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function injectedError(code: FaultRule['error']): EmulatorError {
  return code === 'SlowDown'
    ? serviceError('SlowDown', 'Please reduce your request rate.', { 'Retry-After': '1' })
    : serviceError('InternalError', 'We encountered an internal error. Please try again.');
}

interface RuleState {
  rule: FaultRule;
  operations?: ReadonlySet<Operation>;
  keyPrefix?: string;
  remaining: number;
  bucket?: TokenBucket;
}

/**
 * Decides the faults of each request from a {@link FaultConfig} with seeded pseudo-random dice, so that a run with
 * the same seed and the same sequence of requests is replayed exactly. Requests and jobs draw from two separate
 * sequences, so that job scheduling never changes which requests fail.
 *
 * A rule covers a request when it names its operation (or none) and, if it has a `keyPrefix`, when the request's
 * key starts with it: the object key of a COS request (a `ListMultipartUploads`' `prefix`), the `Input.Object` of
 * a `CreateMediaJobs`, the `inputObject` filter of a `DescribeMediaJobs`. A request without a key (other CI
 * requests, STS, a listing without that filter) is covered only by rules without one.
 *
 * For each rule that covers the request, in order: `dropBeforeRate`, then `errorRate`, then `dropAfterRate`, then
 * `cutReplyRate`, then
 * (for {@link CRC_OPERATIONS}) `corruptCrcRate`; the first that fires decides the request's fate, and later ones
 * (in this rule or the next) are not drawn, because they could not be seen. Each of these injections counts against
 * the rule's `limit`; an exhausted rule injects no more. `latencyMs` (summed over the rules) and `bandwidth` (one
 * token bucket per rule, shared by concurrent requests) are steady conditions: they apply to every covered request
 * and never use up the limit.
 *
 * The configuration also sets the emulator clock's offset (`clockOffsetSeconds`, 0 when absent).
 */
export class RandomFaultController implements FaultController {
  private current: FaultConfig = {};
  private rules: RuleState[] = [];
  private requestDice: () => number = Math.random;
  private jobDice: () => number = Math.random;
  private jobFailuresLeft = 0;
  private counts = new Map<string, number>();

  constructor(
    config: FaultConfig,
    private readonly clock: EmulatorClock,
  ) {
    this.update(config);
  }

  /** The configuration in force. */
  get config(): FaultConfig {
    return this.current;
  }

  /** Replaces the configuration; resets the counters, the limits, the bandwidth buckets and the dice. */
  update(config: FaultConfig): void {
    this.current = structuredClone(config);
    const seed = config.seed ?? 1;
    this.requestDice = mulberry32(seed);
    this.jobDice = mulberry32(seed ^ 0x5bd1e995);
    this.counts = new Map();
    this.rules = (config.rules ?? []).map((rule) => {
      const state: RuleState = { rule, remaining: rule.limit ?? DEFAULT_FAULT_LIMIT };
      if (rule.operations) state.operations = new Set(rule.operations);
      if (rule.keyPrefix !== undefined) state.keyPrefix = rule.keyPrefix;
      if (rule.bandwidth !== undefined) state.bucket = new TokenBucket(rule.bandwidth);
      return state;
    });
    this.jobFailuresLeft = config.failJobs ? (config.failJobs.limit ?? DEFAULT_FAULT_LIMIT) : 0;
    this.clock.offsetSeconds = config.clockOffsetSeconds ?? 0;
  }

  /**
   * The faults of one request of `operation`; `key` is the decoded object key of a COS object request (the `prefix`
   * query parameter of a `ListMultipartUploads`), the `Input.Object` of a `CreateMediaJobs`, the `inputObject`
   * query parameter of a `DescribeMediaJobs`, absent for other requests.
   */
  decide(operation: Operation, key?: string): FaultDecision {
    const decision: FaultDecision = {
      dropBefore: false,
      dropAfter: false,
      cutReply: false,
      corruptCrc: false,
      latencyMs: 0,
    };
    const buckets: TokenBucket[] = [];
    let decided = false;
    for (const state of this.rules) {
      if (state.operations && !state.operations.has(operation)) continue;
      if (state.keyPrefix !== undefined && (key === undefined || !key.startsWith(state.keyPrefix))) continue;
      const { rule } = state;
      if (rule.latencyMs) {
        decision.latencyMs += rule.latencyMs;
        this.count('latency', operation);
      }
      if (state.bucket) {
        buckets.push(state.bucket);
        this.count('throttle', operation);
      }
      if (decided) continue;
      if (this.fires(state, rule.dropBeforeRate, 'dropBefore', operation)) {
        decision.dropBefore = decided = true;
      } else if (this.fires(state, rule.errorRate, 'error', operation)) {
        decision.error = injectedError(rule.error);
        decided = true;
      } else if (this.fires(state, rule.dropAfterRate, 'dropAfter', operation)) {
        decision.dropAfter = decided = true;
      } else if (this.fires(state, rule.cutReplyRate, 'cutReply', operation)) {
        decision.cutReply = decided = true;
      } else if (CRC_OPERATIONS.has(operation) && this.fires(state, rule.corruptCrcRate, 'corruptCrc', operation)) {
        decision.corruptCrc = decided = true;
      }
    }
    if (buckets.length > 0) {
      decision.throttle = async (bytes) => {
        for (const bucket of buckets) await bucket.take(bytes);
      };
    }
    return decision;
  }

  /** Whether the job about to run must fail (per `failJobs`), and with which `Code` and `Message`. */
  jobFailure(): ForcedJobFailure | undefined {
    const failJobs = this.current.failJobs;
    if (!failJobs || this.jobFailuresLeft <= 0) return undefined;
    const rate = failJobs.rate ?? 1;
    if (rate <= 0 || this.jobDice() >= rate) return undefined;
    this.jobFailuresLeft -= 1;
    this.counts.set('jobFailure', (this.counts.get('jobFailure') ?? 0) + 1);
    return { code: failJobs.code ?? 'InternalError', message: failJobs.message ?? 'Injected failure' };
  }

  /**
   * Faults applied since the last update, keyed `<kind>:<operation>` (`error:PutObject`, `dropBefore:UploadPart`,
   * `dropAfter:…`, `cutReply:…`, `corruptCrc:…`, `latency:…`, `throttle:…`) plus `jobFailure`.
   */
  stats(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  private fires(state: RuleState, rate: number | undefined, kind: string, operation: Operation): boolean {
    if (!rate || state.remaining <= 0) return false;
    if (this.requestDice() >= rate) return false;
    state.remaining -= 1;
    this.count(kind, operation);
    return true;
  }

  private count(kind: string, operation: Operation): void {
    const key = `${kind}:${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}
