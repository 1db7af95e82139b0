import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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

/** Most temporary credentials alive at once; STS refuses to issue more until some expire. */
export const MAX_TEMPORARY_KEYS = 10_000;

/** Thrown by {@link Keyring.issue} when {@link MAX_TEMPORARY_KEYS} credentials are alive. */
export class KeyLimitError extends Error {
  override name = 'KeyLimitError';
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A token's bytes: the expiry (8, big-endian Unix seconds), 64 random, then 24 of an HMAC over the id and these. */
const TOKEN_BYTES = 96;
const MAC_BYTES = 24;

function randomText(length: number): string {
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return text;
}

/**
 * The emulator's keys: the permanent one from the options and the temporary ones its STS issued.
 *
 * Temporary credentials are forgotten once they expire (by the emulator's clock, offset fault included), so that
 * the keyring holds only live ones, at most {@link MAX_TEMPORARY_KEYS}. A request signed with a forgotten key still
 * fails as expired (`ExpiredToken`), not as unknown: the session token carries its expiry under an HMAC with a
 * secret of this keyring, so {@link isExpiredToken} recognises a token it issued without remembering it. Expired
 * keys are dropped when STS issues, when the count is read, and when a request names one; a clock moved back
 * later does not revive them.
 */
export class Keyring {
  readonly #keys = new Map<string, KeyRecord>();
  readonly #macKey = randomBytes(32);
  /** The earliest expiry among the temporary keys, in milliseconds: nothing to prune before it. */
  #nextExpiry = Infinity;

  constructor(
    private readonly clock: EmulatorClock,
    permanent: { secretId: string; secretKey: string },
  ) {
    this.#keys.set(permanent.secretId, {
      secretKey: permanent.secretKey,
      principal: { kind: 'permanent', secretId: permanent.secretId },
    });
  }

  /**
   * Issues temporary credentials bound to `policy`, valid for `durationSeconds` from now; throws a
   * {@link KeyLimitError} when {@link MAX_TEMPORARY_KEYS} are alive.
   */
  issue(policy: Policy, durationSeconds: number): TemporaryCredentials {
    if (this.temporaryCount() >= MAX_TEMPORARY_KEYS) {
      throw new KeyLimitError(`${MAX_TEMPORARY_KEYS} temporary credentials are alive; wait until some expire.`);
    }
    const startTime = this.clock.seconds();
    const expiredTime = startTime + durationSeconds;
    const tmpSecretId = `AKID${randomText(32)}`;
    const tmpSecretKey = randomText(32);
    const token = this.#newToken(tmpSecretId, expiredTime);
    const expiresAt = expiredTime * 1000;
    this.#keys.set(tmpSecretId, {
      secretKey: tmpSecretKey,
      token,
      principal: { kind: 'temporary', secretId: tmpSecretId, policy, expiresAt },
    });
    this.#nextExpiry = Math.min(this.#nextExpiry, expiresAt);
    return { tmpSecretId, tmpSecretKey, token, startTime, expiredTime };
  }

  /** The key a `q-ak` names, or `undefined` (unknown, or temporary and expired: it is forgotten then). */
  find(secretId: string): Readonly<KeyRecord> | undefined {
    const record = this.#keys.get(secretId);
    const expiresAt = record?.principal.expiresAt;
    if (expiresAt !== undefined && this.clock.now() >= expiresAt) {
      this.#keys.delete(secretId);
      return undefined;
    }
    return record;
  }

  /**
   * Whether `token` is a session token this keyring issued for `secretId` and that has expired: what a request
   * signed with forgotten credentials is told (`ExpiredToken`). Never true for a token of another key.
   */
  isExpiredToken(secretId: string, token: string): boolean {
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== TOKEN_BYTES || bytes.toString('base64url') !== token) return false;
    const body = bytes.subarray(0, TOKEN_BYTES - MAC_BYTES);
    if (!timingSafeEqual(bytes.subarray(TOKEN_BYTES - MAC_BYTES), this.#mac(secretId, body))) return false;
    return this.clock.now() >= Number(body.readBigUInt64BE(0)) * 1000;
  }

  /** Temporary credentials alive (expired ones are forgotten first). */
  temporaryCount(): number {
    this.prune();
    return this.#keys.size - 1;
  }

  /** Forgets temporary credentials that have expired. */
  prune(): void {
    const now = this.clock.now();
    if (now < this.#nextExpiry) return;
    let next = Infinity;
    for (const [id, record] of this.#keys) {
      const expiresAt = record.principal.expiresAt;
      if (expiresAt === undefined) continue;
      if (expiresAt <= now) this.#keys.delete(id);
      else if (expiresAt < next) next = expiresAt;
    }
    this.#nextExpiry = next;
  }

  #newToken(secretId: string, expiredTime: number): string {
    const body = Buffer.alloc(TOKEN_BYTES - MAC_BYTES);
    body.writeBigUInt64BE(BigInt(expiredTime), 0);
    randomBytes(64).copy(body, 8);
    return Buffer.concat([body, this.#mac(secretId, body)]).toString('base64url');
  }

  #mac(secretId: string, body: Buffer): Buffer {
    return createHmac('sha256', this.#macKey).update(secretId).update('\n').update(body).digest().subarray(0, MAC_BYTES);
  }
}
