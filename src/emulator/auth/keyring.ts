import { randomBytes } from 'node:crypto';
import type { EmulatorClock } from '../clock.js';
import type { Policy } from './policy.js';

/** Who signed a request. */
export interface Principal {
  kind: 'permanent' | 'temporary';
  secretId: string;
  /** The policy temporary credentials were issued with; permanent keys may do anything. */
  policy?: Policy;
  /** When temporary credentials stop working, in milliseconds. */
  expiresAt?: number;
}

/** Temporary credentials as STS issues them. */
export interface TemporaryCredentials {
  tmpSecretId: string;
  tmpSecretKey: string;
  token: string;
  /** Unix seconds. */
  startTime: number;
  /** Unix seconds. */
  expiredTime: number;
}

interface KeyRecord {
  secretKey: string;
  principal: Principal;
  token?: string;
}

/** How long expired credentials are remembered, so that they fail as expired rather than as unknown. */
const REMEMBER_EXPIRED_MS = 24 * 3600_000;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(length: number): string {
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return text;
}

/** The emulator's keys: the permanent one from the options and the temporary ones its STS issued. */
export class Keyring {
  readonly #keys = new Map<string, KeyRecord>();

  constructor(
    private readonly clock: EmulatorClock,
    permanent: { secretId: string; secretKey: string },
  ) {
    this.#keys.set(permanent.secretId, {
      secretKey: permanent.secretKey,
      principal: { kind: 'permanent', secretId: permanent.secretId },
    });
  }

  /** Issues temporary credentials bound to `policy`, valid for `durationSeconds` from now. */
  issue(policy: Policy, durationSeconds: number): TemporaryCredentials {
    this.prune();
    const startTime = this.clock.seconds();
    const expiredTime = startTime + durationSeconds;
    const tmpSecretId = `AKID${randomText(32)}`;
    const tmpSecretKey = randomText(32);
    const token = randomBytes(96).toString('base64url');
    this.#keys.set(tmpSecretId, {
      secretKey: tmpSecretKey,
      token,
      principal: { kind: 'temporary', secretId: tmpSecretId, policy, expiresAt: expiredTime * 1000 },
    });
    return { tmpSecretId, tmpSecretKey, token, startTime, expiredTime };
  }

  /** The key a `q-ak` names, or `undefined`. */
  find(secretId: string): Readonly<KeyRecord> | undefined {
    return this.#keys.get(secretId);
  }

  /** Temporary credentials issued so far and not yet forgotten. */
  get temporaryCount(): number {
    return [...this.#keys.values()].filter((record) => record.principal.kind === 'temporary').length;
  }

  /** Forgets credentials that expired long ago. */
  prune(): void {
    const horizon = this.clock.now() - REMEMBER_EXPIRED_MS;
    for (const [id, record] of this.#keys) {
      if (record.principal.expiresAt !== undefined && record.principal.expiresAt < horizon) this.#keys.delete(id);
    }
  }
}
