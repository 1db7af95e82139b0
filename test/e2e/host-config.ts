// What the example host backend (demo/host/host-middleware.ts, mounted by web-test-runner.config.mjs) tells a test
// page: the bucket, its region, the emulator's domains and the callback relay's URLs. Shared by every end-to-end test.

/** What the example host backend's `/api/config` tells the page. */
export interface HostConfig {
  bucket: string;
  region: string;
  protocol: 'http';
  domains: { cos: string; ci: string };
  /**
   * Where jobs' `CallBack` should point so that the host relays their callbacks: `http://localhost:<test server
   * port>/api/ci-callback` (absent if the page's `Host` header was not a plain host name).
   */
  callbackUrl?: string;
  /** The relay's event stream of one job, relative: `/api/job-events?jobId={jobId}` (`{jobId}` to replace). */
  jobEventsUrl: string;
}

/** The host backend's config, fetched once per test page. */
export const config = (await (await fetch('/api/config')).json()) as HostConfig;
