// The emulator section of the demo page: shows where the emulator answers, then uploads a video and follows a
// Transcode job with the core, signing with STS credentials from the example host backend (/api/credentials).
// Every value is written with textContent, never as markup.
import {
  CredentialProvider,
  MultipartUpload,
  ServiceClient,
  XhrTransport,
  isTranscoderError,
  type JobsDetail,
} from '../src/core/index.js';
import { pollJob, submitTranscode } from './walkthrough.js';

interface HostConfig {
  bucket: string;
  region: string;
  protocol: 'http';
  domains: { cos: string; ci: string };
  admin: string;
}

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const host = (template: string, config: HostConfig) =>
  template.replace('{Bucket}', config.bucket).replace('{Region}', config.region);

function log(text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  byId('emulator-log').append(item);
}

async function run(config: HostConfig, file: Blob, name: string): Promise<void> {
  const client = new ServiceClient({
    transport: new XhrTransport(),
    authorizer: new CredentialProvider({ getAuthorization: () => fetch('/api/credentials').then((r) => r.json()) }),
    bucket: config.bucket,
    region: config.region,
    protocol: config.protocol,
    domains: config.domains,
  });
  const key = `demo/${Date.now().toString(36)}/${name}`;
  const meter = byId<HTMLProgressElement>('emulator-progress');
  const upload = new MultipartUpload({ client, file, key });
  upload.subscribe(({ progress }) => {
    meter.value = progress.percent;
    meter.title = `${(progress.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  });
  const put = await upload.start();
  const how = put.multipart ? 'in parts' : 'in one PUT';
  log(`Uploaded ${key} ${how}: ETag ${put.etag}, CRC-64 ${put.crc64 ?? '?'}${put.verified ? ' (verified)' : ''}`);
  let last = '';
  const show = (job: JobsDetail) => {
    const line = `Job ${job.JobId}: ${job.State}${job.State === 'Running' ? ` ${job.Progress ?? 0}%` : ''}`;
    if (line !== last) log((last = line));
  };
  const submitted = await submitTranscode(client, {
    input: key,
    output: { region: config.region, bucket: config.bucket, object: `${key}.transcoded.\${ext}` },
    watermark: 'cos-transcoder-demo',
  });
  show(submitted);
  const job = await pollJob(client, submitted, { intervalMs: 500, timeoutMs: 300_000, onPoll: show });
  const output = job.Operation?.MediaResult?.OutputFile[0]?.ObjectName[0];
  if (job.State === 'Success' && output) log(`Output: ${output}`);
  if (job.State === 'Failed') log(`Failed: ${job.Code ?? ''} ${job.Message ?? ''}`);
}

/** Fills the emulator section and wires its button. */
export async function setUpEmulatorDemo(): Promise<void> {
  const response = await fetch('/api/config').catch(() => undefined);
  if (!response?.ok) {
    byId('emulator-endpoints').textContent = 'No emulator: start the page with npm start.';
    return;
  }
  const config = (await response.json()) as HostConfig;
  byId('emulator-bucket').textContent = `${config.bucket} (${config.region})`;
  byId('emulator-cos').textContent = `${config.protocol}://${host(config.domains.cos, config)}`;
  byId('emulator-ci').textContent = `${config.protocol}://${host(config.domains.ci, config)}`;
  byId('emulator-admin').textContent = config.admin;
  const button = byId<HTMLButtonElement>('emulator-run');
  button.disabled = false;
  button.addEventListener('click', () => {
    const picked = byId<HTMLInputElement>('emulator-file').files?.[0];
    button.disabled = true;
    byId('emulator-log').replaceChildren();
    const file = picked
      ? Promise.resolve(picked)
      : fetch('/test/fixtures/media/sample-640x360.mp4').then((r) => r.blob());
    file
      .then((blob) => run(config, blob, picked?.name ?? 'sample-640x360.mp4'))
      .catch((error: unknown) => log(isTranscoderError(error) ? `${error.code}: ${error.message}` : String(error)))
      .finally(() => (button.disabled = false));
  });
}
