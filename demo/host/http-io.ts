// The two bits of HTTP every route of the example host needs: a JSON answer, and a request body read up to a bound
// (a host reads nothing unbounded from the network).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers `value` as JSON, never cached. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(value));
}

/**
 * Reads the request body as UTF-8 text, at most `maxBytes` bytes. Resolves `undefined` after answering 413
 * `{ error: tooLargeMessage }` itself (with `connection: close`: the rest of an oversized body is not worth reading)
 * when the declared `Content-Length` or the bytes received go beyond; rejects when the request fails (the socket is
 * then destroyed).
 */
export function readBoundedBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  tooLargeMessage: string,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): void => {
      sendJson(res, 413, { error: tooLargeMessage }, { connection: 'close' });
      resolve(undefined);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;
    req.on('data', (chunk: Buffer) => {
      if (answered) return;
      size += chunk.length;
      if (size > maxBytes) {
        answered = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (answered) return;
      answered = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      answered = true;
      res.destroy();
      reject(error);
    });
  });
}
