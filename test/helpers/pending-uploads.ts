// The multipart uploads a bucket still holds: shared by the Node tests (test/node/upload) and the browser ones
// (test/e2e), which check through it that nothing was left behind.
import { parseListMultipartUploadsResult } from '../../src/core/protocol/cos-document.js';
import type { ServiceClient } from '../../src/core/transport/service-client.js';

/** The UploadIds of the multipart uploads the service still holds under `prefix` (ListMultipartUploads). */
export async function pendingUploads(client: ServiceClient, prefix: string): Promise<string[]> {
  const response = await client.request({
    service: 'cos',
    method: 'GET',
    key: '',
    query: { uploads: '', prefix },
    action: 'name/cos:ListMultipartUploads',
    phase: 'upload',
  });
  return parseListMultipartUploadsResult(response.body).Upload.map((upload) => upload.UploadId);
}
