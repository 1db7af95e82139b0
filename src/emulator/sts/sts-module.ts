import { KeyLimitError, MAX_TEMPORARY_KEYS, type TemporaryCredentials } from '../auth/keyring.js';
import { parsePolicy, PolicyError, type Policy } from '../auth/policy.js';
import type { EmulatorEnv, EmulatorModule } from '../env.js';
import { replyJson } from '../http/reply.js';
import { header, type RequestContext } from '../http/request-context.js';
import { readStsParams, stsError } from './sts-request.js';
import { STS_SIGNATURE_METHODS, verifyStsSignature, type StsSignatureMethod } from './sts-signature.js';

/** The STS API version `qcloud-cos-sts` calls; the only one served. */
export const STS_VERSION = '2018-08-13';
/** Seconds a request's `Timestamp` may differ from the emulator's clock, as the cloud API allows. */
export const STS_TIMESTAMP_TOLERANCE_SECONDS = 300;
/** `DurationSeconds` when the request names none, as the real API defaults it (capped by the configured maximum). */
export const STS_DEFAULT_DURATION_SECONDS = 1800;

const COMMON_PARAMS = ['Action', 'Version', 'Region', 'Timestamp', 'Nonce', 'SecretId', 'Signature'] as const;

/** The successful `GetFederationToken` answer, inside `Response`. */
export interface FederationTokenResult {
  Credentials: { Token: string; TmpSecretId: string; TmpSecretKey: string };
  /** Unix seconds. */
  ExpiredTime: number;
  /** ISO 8601 in UTC without milliseconds, `2019-08-07T08:54:35Z`. */
  Expiration: string;
  RequestId: string;
}

const required = (params: Record<string, string>, name: string): string => {
  const value = params[name];
  if (value === undefined || value === '') {
    throw stsError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
  }
  return value;
};

const invalidValue = (message: string) => stsError('InvalidParameterValue', message);

function checkCommon(params: Record<string, string>, now: number): StsSignatureMethod {
  for (const name of COMMON_PARAMS) required(params, name);
  if (params['Action'] !== 'GetFederationToken') {
    throw stsError(
      'InvalidAction',
      `The action \`${params['Action']}\` is not found; the emulator's STS serves GetFederationToken only.`,
    );
  }
  if (params['Version'] !== STS_VERSION) {
    throw stsError('NoSuchVersion', `The API version \`${params['Version']}\` does not exist; use ${STS_VERSION}.`);
  }
  const method = params['SignatureMethod'] ?? 'HmacSHA1';
  if (!(STS_SIGNATURE_METHODS as readonly string[]).includes(method)) {
    throw invalidValue(`SignatureMethod \`${method}\` is not supported; use HmacSHA1 or HmacSHA256.`);
  }
  if (!/^\d{1,12}$/.test(params['Timestamp']!)) {
    throw invalidValue('Timestamp must be a Unix time in whole seconds.');
  }
  if (!/^\d{1,20}$/.test(params['Nonce']!)) throw invalidValue('Nonce must be a positive integer.');
  const skew = Math.abs(Number(params['Timestamp']) - Math.floor(now / 1000));
  if (skew > STS_TIMESTAMP_TOLERANCE_SECONDS) {
    throw stsError(
      'AuthFailure.SignatureExpire',
      'The signature expired: Timestamp and the server time differ by more than ' +
        `${STS_TIMESTAMP_TOLERANCE_SECONDS} seconds.`,
    );
  }
  return method as StsSignatureMethod;
}

function authenticate(
  ctx: RequestContext,
  env: EmulatorEnv,
  params: Record<string, string>,
  method: StsSignatureMethod,
): void {
  const secretId = params['SecretId']!;
  const record = env.keyring.find(secretId);
  if (!record) throw stsError('AuthFailure.SecretIdNotFound', 'The SecretId is not found; check that it exists.');
  const signed = { method: ctx.method, host: header(ctx, 'host') ?? '', path: ctx.pathname, params };
  if (!verifyStsSignature(signed, record.secretKey, method, params['Signature']!)) {
    throw stsError(
      'AuthFailure.SignatureFailure',
      'The provided credentials could not be validated. Please check your signature is correct.',
    );
  }
  if (record.principal.kind !== 'permanent') {
    throw stsError(
      'UnauthorizedOperation',
      'Temporary credentials may not call GetFederationToken; sign with a permanent key.',
    );
  }
}

function durationOf(params: Record<string, string>, maxDurationSeconds: number): number {
  const text = params['DurationSeconds'];
  if (text === undefined || text === '') return Math.min(STS_DEFAULT_DURATION_SECONDS, maxDurationSeconds);
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= maxDurationSeconds)) {
    throw invalidValue(`DurationSeconds must be an integer from 1 to ${maxDurationSeconds}; got \`${text}\`.`);
  }
  return value;
}

function policyOf(params: Record<string, string>): Policy {
  const encoded = required(params, 'Policy');
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    throw invalidValue('Policy must be the URL-encoded JSON text of a CAM policy.');
  }
  try {
    return parsePolicy(text);
  } catch (error) {
    if (error instanceof PolicyError) throw invalidValue(`Policy is invalid: ${error.message}.`);
    throw error;
  }
}

/** ISO 8601 in UTC without milliseconds, as STS writes `Expiration`. */
export const formatExpiration = (unixSeconds: number): string =>
  new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The emulator's STS (`sts.<base domain>`): `GetFederationToken` of the Tencent Cloud API, version 2018-08-13, with
 * the v1 signature exactly as the `qcloud-cos-sts` Node SDK sends it (form body or query string; `HmacSHA1` or
 * `HmacSHA256`; the signed host is the request's `Host`, port included). It issues temporary credentials bound to
 * the request's `Policy` for `DurationSeconds`, which COS and CI requests then use with their token.
 *
 * Errors are answered as the cloud API does: HTTP 200 with `Response.Error {Code, Message}` and `RequestId`.
 * Emulator choices where the service is not documented: `Region` is required but any value is accepted; `Name` is
 * required (any non-empty text up to 128 characters); a missing `DurationSeconds` means 1800 s (capped by
 * `sts.maxDurationSeconds`); a wrong `Version` is `NoSuchVersion`; a temporary key is `UnauthorizedOperation`;
 * a body over 64 KiB is `RequestSizeLimitExceeded`; policy conditions and `principal` are accepted and ignored;
 * with {@link MAX_TEMPORARY_KEYS} credentials alive, `LimitExceeded` (the cloud API's quota code) until some expire.
 * The state counts credentials `issued` since the start and those `live` (expired ones are forgotten).
 */
export function createStsModule(env: EmulatorEnv): EmulatorModule {
  let issued = 0;
  return {
    handlers: {
      async GetFederationToken(ctx) {
        const params = await readStsParams(ctx);
        const method = checkCommon(params, ctx.now);
        authenticate(ctx, env, params, method);
        const name = required(params, 'Name');
        if (name.length > 128) throw invalidValue('Name must be at most 128 characters.');
        const duration = durationOf(params, env.options.sts.maxDurationSeconds);
        const policy = policyOf(params);
        let credentials: TemporaryCredentials;
        try {
          credentials = env.keyring.issue(policy, duration);
        } catch (error) {
          if (error instanceof KeyLimitError) throw stsError('LimitExceeded', error.message);
          throw error;
        }
        issued += 1;
        const result: FederationTokenResult = {
          Credentials: {
            Token: credentials.token,
            TmpSecretId: credentials.tmpSecretId,
            TmpSecretKey: credentials.tmpSecretKey,
          },
          ExpiredTime: credentials.expiredTime,
          Expiration: formatExpiration(credentials.expiredTime),
          RequestId: ctx.requestId,
        };
        await replyJson(ctx, 200, { Response: result });
      },
    },
    state: () => ({ module: 'sts', issued, live: env.keyring.temporaryCount(), maxLive: MAX_TEMPORARY_KEYS }),
  };
}
