import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The idle timeout of one request's connection: the connection is closed when it stays silent for `ms` while the
 * emulator waits on the client (headers aside, which `headersTimeout` bounds): a body that stalls, a reply nobody
 * reads. The emulator's own waits (a latency fault, bandwidth pacing) and its work after the whole body has
 * arrived (completing a large multipart upload) do not count. Once the reply is sent, Node's keep-alive timeout
 * takes over.
 */
export class IdleTimeout {
  readonly #req: IncomingMessage;
  readonly #ms: number;
  #waits = 0;
  #bodyRead = false;
  #replied = false;

  constructor(req: IncomingMessage, res: ServerResponse, ms: number) {
    this.#req = req;
    this.#ms = ms;
    const bodyRead = () => {
      this.#bodyRead = true;
      this.#apply();
    };
    req.once('end', bodyRead);
    res.once('finish', () => {
      this.#replied = true;
      req.off('end', bodyRead);
    });
    this.#apply();
  }

  /** Runs one of the emulator's own waits with the timer stopped. */
  async during<T>(task: () => Promise<T>): Promise<T> {
    this.#waits += 1;
    this.#apply();
    try {
      return await task();
    } finally {
      this.#waits -= 1;
      this.#apply();
    }
  }

  #apply(): void {
    const socket = this.#req.socket;
    if (socket.destroyed || this.#replied) return;
    socket.setTimeout(this.#waits === 0 && !this.#bodyRead ? this.#ms : 0);
  }
}
