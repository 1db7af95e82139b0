// What the example host backend (demo/host/host-middleware.ts, mounted by web-test-runner.config.mjs) tells a test
// page: the bucket, its region and the emulator's domains. Shared by every end-to-end test.

/** What the example host backend's `/api/config` tells the page. */
export interface HostConfig {
  bucket: string;
  region: string;
  protocol: 'http';
  domains: { cos: string; ci: string };
  /** The emulator's admin endpoint, `http://localhost:<port>/_emulator/`. */
  admin: string;
}

/** The host backend's config, fetched once per test page. */
export const config = (await (await fetch('/api/config')).json()) as HostConfig;
