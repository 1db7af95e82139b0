import { TranscoderError, isTranscoderError } from '../errors.js';
import type { ServiceClient } from '../transport/service-client.js';

/** What a `HEAD` of the input object found. */
export interface InputObject {
  /** Bytes stored, when the answer said (`Content-Length`). */
  size: number | undefined;
}

/**
 * `HEAD`s the object a job will read. Resolves with what it found, or with `undefined` when the object does not
 * exist (404); rejects with the request's error otherwise (phase `submit`).
 */
export async function headInputObject(
  client: ServiceClient,
  key: string,
  signal: AbortSignal | undefined,
): Promise<InputObject | undefined> {
  try {
    const response = await client.request({
      service: 'cos',
      method: 'HEAD',
      key,
      action: 'name/cos:HeadObject',
      phase: 'submit',
      ...(signal ? { signal } : {}),
    });
    const length = Number(response.headers['content-length']);
    return { size: Number.isSafeInteger(length) ? length : undefined };
  } catch (error) {
    if (isTranscoderError(error) && error.code === 'service' && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Checks that the object a job will read exists, so that a missing input fails with a clear error before the job
 * is submitted rather than as a failed job.
 *
 * @throws {TranscoderError} `service`, status 404, serviceCode `NoSuchKey`, phase `submit`, when it is missing; the
 * `HEAD`'s own error when it could not be checked.
 */
export async function requireInputObject(
  client: ServiceClient,
  key: string,
  signal: AbortSignal | undefined,
): Promise<InputObject> {
  const found = await headInputObject(client, key, signal);
  if (found) return found;
  const message =
    `The input object "${key}" does not exist in bucket ${client.bucket} (HeadObject answered 404): ` +
    'upload it first, or give a file';
  throw new TranscoderError(message, { code: 'service', phase: 'submit', status: 404, serviceCode: 'NoSuchKey' });
}
