// The emulator section of the demo page: shows where the emulator answers, then uploads a video, submits a
// Transcode job and follows it with the core's JobTracker (polling, plus the CI callbacks the example host relays
// over Server-Sent Events), signing with STS credentials from the example host backend (/api/credentials).
// Every value is written with textContent, never as markup.
import {
  CredentialProvider,
  JobTracker,
  MultipartUpload,
  ServiceClient,
  XhrTransport,
  isTranscoderError,
  submitJob,
  type JobSnapshot,
} from '../src/core/index.js';

interface HostConfig {
  bucket: string;
  region: string;
  protocol: 'http';
  domains: { cos: string; ci: string };
  admin: string;
  /** Where CI should POST job callbacks so that the host relays them (absent when the host cannot tell). */
  callbackUrl?: string;
  /** The relay's Server-Sent Events stream of one job, `{jobId}` to replace. */
  jobEventsUrl: string;
}

/** The seed's transcode template (the emulator knows it; a real bucket has its own). */
const TEMPLATE_ID = 't1460606b9752148c4ab182f55163ba7cd';

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const host = (template: string, config: HostConfig) =>
  template.replace('{Bucket}', config.bucket).replace('{Region}', config.region);

function log(text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  byId('emulator-log').append(item);
}

function describe({ jobId, state, progress, source }: JobSnapshot): string {
  const percent = state === 'Running' ? ` ${Math.round(progress * 100)} %` : '';
  return `Job ${jobId}: ${state}${percent} (from ${source})`;
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
  const submitted = await submitJob(client, {
    Tag: 'Transcode',
    Input: { Object: key },
    Operation: {
      TemplateId: TEMPLATE_ID,
      Output: { Region: config.region, Bucket: config.bucket, Object: `${key}.transcoded.\${ext}` },
      DigitalWatermark: { Type: 'Text', Message: 'cos-transcoder-demo', Version: 'V1' },
    },
    ...(config.callbackUrl ? { CallBack: config.callbackUrl, CallBackFormat: 'JSON' as const } : {}),
  });
  const tracker = new JobTracker({
    client,
    job: submitted,
    ...(config.callbackUrl ? { relay: { eventSource: config.jobEventsUrl } } : {}),
  });
  tracker.subscribe((snapshot) => log(describe(snapshot)));
  const { results } = await tracker.start();
  for (const output of results.outputs) log(`Output: ${output.key}`);
  if (results.digitalWatermark) log(`Digital watermark: ${results.digitalWatermark.state ?? '?'}`);
  log(`Requests while following the job: ${tracker.stats.polls} polls, ${tracker.stats.callbacks} callbacks`);
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
