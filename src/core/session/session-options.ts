import * as z from 'zod/mini';
import { TranscoderError, isTranscoderError } from '../errors.js';
import { abortSignal, callable, checked, hasMethods, parseOptions, withMethods } from '../options.js';
import { buildJobRequest } from '../protocol/job-request.js';
import type { JobRequest } from '../protocol/job-request-schemas.js';
import { plainRecord } from '../protocol/schema-helpers.js';
import { CredentialProvider } from '../signing/credential-provider.js';
import type { GetAuthorization } from '../signing/credentials.js';
import type { Authorizer } from '../signing/types.js';
import { ServiceClient } from '../transport/service-client.js';
import { defaultSessionStorage, sessionStores, type SessionStores } from './session-storage.js';
import type { SessionJob, TranscodeSessionOptions } from './session-types.js';

/** {@link TranscodeSessionOptions} checked, with the client made and every default filled in. */
export interface SessionSettings {
  readonly options: TranscodeSessionOptions;
  readonly client: ServiceClient;
  readonly authorizer: Authorizer;
  /** The host's callback, when the session signs through one (presigned URLs of a chosen lifetime need it). */
  readonly getAuthorization: GetAuthorization | undefined;
  readonly file: Blob | undefined;
  readonly key: string;
  /** The job request, `Input.Object` being `key`. */
  readonly request: JobRequest;
  /** The record stores; `undefined` when the session keeps none. */
  readonly stores: SessionStores | undefined;
  /** Makes a client of another bucket or region, signed by the same authorizer, through the same transport. */
  readonly clientFor: (bucket: string, region: string) => ServiceClient;
}

/** The session's own options; the client's (bucket, region, transport...) are checked by `ServiceClient`. */
const SessionOptionsSchema = z.object({
  getAuthorization: z.optional(callable<GetAuthorization>()),
  authorizer: z.optional(
    withMethods<Authorizer>(['authorize', 'invalidate'], 'must have authorize() and invalidate() methods'),
  ),
  file: z.optional(
    checked<Blob>((value) => typeof Blob !== 'undefined' && value instanceof Blob, 'must be a File or a Blob'),
  ),
  key: checked<string>(
    (value) => typeof value === 'string' && value !== '' && !value.startsWith('/'),
    'must be a non-empty object key without a leading "/"',
  ),
  job: z.object({
    Tag: z.enum(['Transcode', 'ExtractDigitalWatermark']),
    Operation: plainRecord('must be a record'),
  }),
  storage: z.optional(
    checked<Storage | false>(
      (value) => value === false || hasMethods(value, ['getItem', 'setItem', 'removeItem', 'key']),
      'must be a Web Storage (localStorage, sessionStorage) or false',
    ),
  ),
  relay: z.optional(z.object({})),
  upload: z.optional(z.object({})),
  tracker: z.optional(z.object({})),
  signal: z.optional(abortSignal),
});

/** The job request of a session: its job, read on `key`. */
function jobRequestOf(job: SessionJob, key: string): JobRequest {
  const request = { ...job, Input: { Object: key } } as JobRequest;
  try {
    buildJobRequest(request);
  } catch (error) {
    if (!isTranscoderError(error)) throw error;
    // The job is an option of the session: an invalid one is reported before anything is sent, as options are.
    throw new TranscoderError(`Invalid session options: job ${error.message}`, {
      code: 'invalid-options',
      phase: 'options',
      cause: error,
    });
  }
  return request;
}

/**
 * Checks `options`, makes the session's client and fills in the defaults. Throws an `invalid-options`
 * {@link TranscoderError} naming the first bad option; nothing has been sent then.
 */
export function resolveSessionOptions(options: TranscodeSessionOptions): SessionSettings {
  const parsed = parseOptions(SessionOptionsSchema, options, 'session');
  const { getAuthorization } = parsed;
  if ((getAuthorization === undefined) === (parsed.authorizer === undefined)) {
    throw new TranscoderError('Invalid session options: give either getAuthorization or authorizer', {
      code: 'invalid-options',
      phase: 'options',
    });
  }
  const authorizer = parsed.authorizer ?? new CredentialProvider({ getAuthorization: getAuthorization! });
  const { transport, protocol, domains, retry } = options;
  const clientFor = (bucket: string, region: string) =>
    new ServiceClient({
      authorizer,
      bucket,
      region,
      ...(transport ? { transport } : {}),
      ...(protocol ? { protocol } : {}),
      ...(domains ? { domains } : {}),
      ...(retry ? { retry } : {}),
    });
  const client = clientFor(options.bucket, options.region);
  const storage = parsed.storage ?? defaultSessionStorage();
  return {
    options,
    client,
    authorizer,
    getAuthorization,
    file: parsed.file,
    key: parsed.key,
    request: jobRequestOf(options.job, parsed.key),
    stores: storage === false ? undefined : sessionStores(storage),
    clientFor,
  };
}
