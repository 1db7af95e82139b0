// Loaded inside a same-origin iframe by upload-cross-tab.test.ts: its own realm (its own MultipartUpload, XHR,
// LocalStorageResumeStore object and lock manager handle), sharing `localStorage` and Web Locks with the page.
import { MultipartUpload } from '../../src/core/upload/multipart-upload.js';
import { LocalStorageResumeStore } from '../../src/core/upload/resume-store.js';
import type { UploadResult } from '../../src/core/upload/upload-types.js';
import { CountingTransport, MiB, createClient } from '../e2e/upload-support.js';

/** What the page asks a frame to upload. */
export interface FrameUpload {
  /** The file's bytes (a Blob of the page's realm: the frame makes its own File of them). */
  blob: Blob;
  name: string;
  lastModified: number;
  key: string;
  /** The resume store's prefix, shared by the frames. */
  prefix: string;
}

/** What a frame's upload did. */
export interface FrameOutcome {
  result: UploadResult;
  /** The COS operations the frame sent, in order. */
  operations: string[];
  /** Whether its snapshot ever said it waited for another upload of the file. */
  waited: boolean;
}

/** Uploads `request.blob` from this frame's realm. */
export async function uploadInFrame(request: FrameUpload): Promise<FrameOutcome> {
  const transport = new CountingTransport();
  const upload = new MultipartUpload({
    client: createClient({ transport }),
    file: new File([request.blob], request.name, { type: request.blob.type, lastModified: request.lastModified }),
    key: request.key,
    partSize: MiB,
    multipartThreshold: MiB,
    concurrency: 2,
    storage: new LocalStorageResumeStore({ prefix: request.prefix }),
  });
  let waited = false;
  upload.subscribe((snapshot) => {
    if (snapshot.waitingFor === 'other-upload') waited = true;
  });
  const result = await upload.start();
  return { result, operations: transport.sent.map((sent) => sent.operation), waited };
}
