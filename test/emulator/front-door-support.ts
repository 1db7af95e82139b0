import { connect, type Socket } from 'node:net';
import type { Emulator } from '../../src/emulator/index.js';

/** A raw TCP connection to the emulator, for requests an HTTP client would not send (slow, partial, malformed). */
export interface RawConnection {
  socket: Socket;
  /** Everything received so far, as text. */
  received: () => string;
  /** Resolves when the server closes the connection (or it errors), with the milliseconds since it opened. */
  closed: Promise<number>;
  /** Resolves once `text` has been received, or rejects after `timeoutMs`. */
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
}

/** Opens a raw connection to the emulator's port and waits until it is established. */
export async function openRaw(emulator: Emulator): Promise<RawConnection> {
  const socket = connect(emulator.endpoints.port, '127.0.0.1');
  const opened = Date.now();
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<number>((done) => {
    socket.once('close', () => done(Date.now() - opened));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((done, fail) => {
    socket.once('connect', () => done());
    socket.once('error', fail);
  });
  return {
    socket,
    received: () => text,
    closed,
    waitFor: async (expected, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(expected)) {
        if (Date.now() > deadline) throw new Error(`"${expected}" not received; got: ${text.slice(0, 300)}`);
        if (socket.destroyed && !text.includes(expected)) throw new Error(`closed before "${expected}": ${text}`);
        await new Promise((done) => setTimeout(done, 10));
      }
    },
  };
}

/** Resolves with `value` after `ms`, for races against a connection that should have closed by then. */
export const settle = <T>(ms: number, value: T): Promise<T> =>
  new Promise((done) => setTimeout(() => done(value), ms).unref());

/** The status code of the first reply in raw HTTP text, or 0. */
export const rawStatus = (text: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
