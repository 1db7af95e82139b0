import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Files dragged onto the drop zone: whether one is over it now (the element's `dragover` state), and the file
 * dropped, handed to `onDrop`. Drops are refused while `isBusy()` says work runs.
 */
export class DropController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #isBusy: () => boolean;
  readonly #onDrop: (file: File) => void;
  #over = false;

  constructor(host: ReactiveControllerHost, options: { isBusy: () => boolean; onDrop: (file: File) => void }) {
    this.#host = host;
    this.#isBusy = options.isBusy;
    this.#onDrop = options.onDrop;
    host.addController(this);
  }

  /** Whether a file is dragged over the drop zone. */
  get over(): boolean {
    return this.#over;
  }

  hostDisconnected(): void {
    this.#set(false);
  }

  readonly dragOver = (event: DragEvent): void => {
    if (this.#isBusy() || !event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    this.#set(true);
  };

  readonly dragLeave = (event: DragEvent): void => {
    const zone = event.currentTarget as HTMLElement;
    if (!zone.contains(event.relatedTarget as Node | null)) this.#set(false);
  };

  readonly drop = (event: DragEvent): void => {
    event.preventDefault();
    this.#set(false);
    const file = event.dataTransfer?.files[0];
    if (file && !this.#isBusy()) this.#onDrop(file);
  };

  #set(over: boolean): void {
    if (over === this.#over) return;
    this.#over = over;
    this.#host.requestUpdate();
  }
}
