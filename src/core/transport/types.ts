/** One HTTP request as a {@link Transport} sends it. */
export interface HttpRequest {
  method: string;
  /** Absolute URL, query included. */
  url: string;
  /**
   * Headers to send. Names a browser forbids scripts to set (`Host`, `Content-Length`, `Date`...) are signed but
   * not set: the browser sends the same values itself.
   */
  headers: Readonly<Record<string, string>>;
  body?: Blob | ArrayBuffer | Uint8Array | string;
  /**
   * Milliseconds without progress before the request fails with `timeout`. What counts as progress depends on the
   * transport: `XhrTransport` sees the upload too; `FetchTransport` does not, so the wait for the response headers,
   * the whole upload included, is limited to this.
   */
  timeout?: number;
  signal?: AbortSignal;
  /** Bytes of the body sent so far. Called often; only transports with upload progress (XHR) call it. */
  onUploadProgress?: (sentBytes: number, totalBytes: number) => void;
}

/** The reply to an {@link HttpRequest}: any status, the body read as text. */
export interface HttpResponse {
  status: number;
  /** Header names lower-cased. Only headers exposed by CORS are visible in a browser. */
  headers: Readonly<Record<string, string>>;
  body: string;
}

/**
 * Sends HTTP requests. Resolves with any status the server answered; rejects only with a `TranscoderError` of code
 * `network` (no answer), `timeout`, `aborted`, or `invalid-request` (the runtime refused to send it). An error's
 * `cause` must not carry a runtime exception as it is, whose message may quote a header value.
 */
export interface Transport {
  send(request: HttpRequest): Promise<HttpResponse>;
}
