import { expect } from 'chai';
import { createAuthorization, parseAuthorization } from '../../src/core/signing/authorization.js';
import type {
  AuthorizationResult,
  GetAuthorization,
  GetAuthorizationContext,
} from '../../src/core/signing/credentials.js';
import type { AuthorizationRequest } from '../../src/core/signing/types.js';

// Fake answers of a host's getAuthorization, for the CredentialProvider tests. The secrets are made up, and
// distinctive so that tests can assert they never show up in errors.

/** The temporary key id of {@link credentials}. */
export const ID = 'AKIDtmpIdExample0000000000000000000';
/** The temporary secret key of {@link credentials}. */
export const KEY = 'tmpKeyExampleMustNeverLeak000000';
/** The session token of {@link credentials}. */
export const TOKEN = 'sessionTokenExampleMustNeverLeak0000';
/** A second temporary key id, for refreshed credentials. */
export const ID2 = 'AKIDtmpIdExampleSecond00000000000000';
/** The secret key that goes with {@link ID2}. */
export const KEY2 = 'tmpKeyExampleSecondMustNeverLeak0';
/** The permanent key id {@link serverSign} signs with. */
export const SERVER_ID = 'AKIDserverPermanentId000000000000000';
/** The permanent secret key {@link serverSign} signs with. */
export const SERVER_KEY = 'serverPermanentKeyMustNeverLeak00';
/** The bucket's COS host the test requests go to. */
export const HOST = 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com';
/** Issuance time of the test credentials, in Unix seconds (the tests start their fake clock 10 s later). */
export const T0 = 1_700_000_000;

/** An `UploadPart` request for `key`, as the transport hands it to the authorizer. */
export function request(key = 'input/a b(1).mp4'): AuthorizationRequest {
  return {
    method: 'PUT',
    host: HOST,
    pathname: `/${key}`,
    query: { partNumber: '1', uploadId: 'u1' },
    headers: { host: HOST, 'content-length': '13' },
    bucket: 'examplebucket-1250000000',
    region: 'ap-guangzhou',
    key,
    service: 'cos',
    action: 'name/cos:UploadPart',
  };
}

/** Credentials in the cos-js-sdk-v5 shape, valid for 30 minutes from {@link T0}, with `changes` applied. */
export const credentials = (changes: Record<string, unknown> = {}): AuthorizationResult =>
  ({
    TmpSecretId: ID,
    TmpSecretKey: KEY,
    SecurityToken: TOKEN,
    StartTime: T0,
    ExpiredTime: T0 + 1800,
    ...changes,
  }) as AuthorizationResult;

/** A recording `getAuthorization`: what it was asked, and the context of each call. */
export interface FakeHost {
  getAuthorization: GetAuthorization;
  requests: AuthorizationRequest[];
  contexts: GetAuthorizationContext[];
}

/** A host that records what it is asked and answers with `answer(request, callNumber)`. */
export function fakeHost(
  answer: (request: AuthorizationRequest, call: number) => AuthorizationResult | PromiseLike<AuthorizationResult>,
): FakeHost {
  const requests: AuthorizationRequest[] = [];
  const contexts: GetAuthorizationContext[] = [];
  return {
    requests,
    contexts,
    getAuthorization: (req, context) => {
      requests.push(req);
      contexts.push(context);
      return answer(req, requests.length);
    },
  };
}

/** A promise with its `resolve` and `reject`, to answer a host call when the test decides. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What a host that signs on its server would answer: a signature over exactly the request it was given. */
export const serverSign = (req: AuthorizationRequest) =>
  createAuthorization({
    ...req,
    secretId: SERVER_ID,
    secretKey: SERVER_KEY,
    keyTime: { start: T0, end: T0 + 600 },
  });

/** The key time of an `Authorization` value, as numbers. */
export function keyTimeOf(authorization: string): { start: number; end: number } {
  const [start, end] = parseAuthorization(authorization)!.keyTime.split(';').map(Number);
  return { start: start!, end: end! };
}

/** Recomputes the Authorization a correct signer makes with `secretKey` for the same request and key time. */
export async function expectSignedWith(authorization: string, secretId: string, secretKey: string, req = request()) {
  const keyTime = keyTimeOf(authorization);
  const expected = await createAuthorization({ ...req, secretId, secretKey, keyTime });
  expect(authorization).to.equal(expected);
}

/**
 * Runs `action` and counts the HMAC keys imported from the bytes of `secret` meanwhile: each is one SignKey
 * derivation from that secret key. Works in Node and in the browser, by wrapping `crypto.subtle.importKey`.
 */
export async function countKeyDerivations(secret: string, action: () => Promise<unknown>): Promise<number> {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.importKey;
  const decoder = new TextDecoder();
  let count = 0;
  Object.defineProperty(subtle, 'importKey', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      if (args[0] === 'raw' && decoder.decode(args[1] as BufferSource) === secret) count += 1;
      return Reflect.apply(original, subtle, args);
    },
  });
  try {
    await action();
  } finally {
    delete (subtle as { importKey?: unknown }).importKey;
  }
  return count;
}

export { rejection } from './expect-error.js';
