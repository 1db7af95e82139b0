import { serviceError, type EmulatorError } from '../errors.js';
import { objectKey, queryParam, type RequestContext } from '../http/request-context.js';
import type { MultipartStore, UploadRecord } from './multipart-store.js';
import { bucketName } from './object-handlers.js';

/** 404 `NoSuchUpload`. */
export const noSuchUpload = (): EmulatorError =>
  serviceError(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or ' +
      'completed.',
  );

/** The upload a request names with `uploadId`, or 404 `NoSuchUpload`. */
export function namedUpload(
  store: MultipartStore,
  ctx: RequestContext,
  includeCompleting = false,
): UploadRecord {
  const uploadId = queryParam(ctx, 'uploadId');
  const upload =
    uploadId === undefined || uploadId === ''
      ? undefined
      : store.find(bucketName(ctx), objectKey(ctx), uploadId, includeCompleting);
  if (!upload) throw noSuchUpload();
  return upload;
}
