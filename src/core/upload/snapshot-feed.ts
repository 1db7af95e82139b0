import type { UploadProgress } from './progress.js';
import { UPLOAD_STATUS_TRANSITIONS, UploadStatus, type UploadSnapshot } from './upload-types.js';

/** Receives the upload's snapshot at every change. */
export type UploadListener = (snapshot: UploadSnapshot) => void;

/**
 * An upload's snapshot and its listeners: status moves allowed by {@link UPLOAD_STATUS_TRANSITIONS}, progress
 * published at most every `progressInterval` ms, and the listeners let go once the upload is over for good.
 */
export class SnapshotFeed {
  readonly #listeners = new Set<UploadListener>();
  readonly #progressInterval: number;
  readonly #progress: () => UploadProgress;
  #snapshot: UploadSnapshot;
  #lastProgressAt = -Infinity;
  #progressTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param progress the progress now (the upload's meter, which a restart replaces). */
  constructor(progressInterval: number, progress: () => UploadProgress) {
    this.#progressInterval = progressInterval;
    this.#progress = progress;
    this.#snapshot = { status: UploadStatus.Idle, progress: progress() };
  }

  /** The snapshot now. */
  get snapshot(): UploadSnapshot {
    return this.#snapshot;
  }

  /** Adds `listener`; returns the function that removes it. */
  subscribe(listener: UploadListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Moves to `status` when the transition table allows it (else does nothing), dropping `waitingFor`. */
  move(status: UploadStatus, extra: Partial<Omit<UploadSnapshot, 'status'>> = {}): void {
    const from = this.#snapshot.status;
    if (from === status || !UPLOAD_STATUS_TRANSITIONS[from].includes(status)) return;
    this.#publish({ status, progress: extra.progress ?? this.#progress(), ...extra });
  }

  /** Publishes that an `uploading` upload waits (for the network, for another upload of the file), or no longer. */
  waiting(what: UploadSnapshot['waitingFor']): void {
    const { waitingFor, ...rest } = this.#snapshot;
    if (waitingFor === what || this.#snapshot.status !== UploadStatus.Uploading) return;
    this.#publish(what === undefined ? rest : { ...rest, waitingFor: what });
  }

  /** Progress moved: published now, or when `progressInterval` has passed since the last publication. */
  progressed(): void {
    if (this.#progressTimer !== undefined) return;
    const wait = this.#lastProgressAt + this.#progressInterval - performance.now();
    if (wait <= 0) {
      this.#publishProgress();
      return;
    }
    this.#progressTimer = setTimeout(() => {
      this.#progressTimer = undefined;
      this.#publishProgress();
    }, wait);
  }

  /** Drops a progress publication still waiting for its turn. */
  stopTimer(): void {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
  }

  #publishProgress(): void {
    const { status } = this.#snapshot;
    if (status !== UploadStatus.Uploading && status !== UploadStatus.Completing) return;
    this.#lastProgressAt = performance.now();
    this.#publish({ ...this.#snapshot, progress: this.#progress() });
  }

  #publish(snapshot: UploadSnapshot): void {
    this.#snapshot = snapshot;
    const listeners = [...this.#listeners];
    // `done` and `cancelled` are final (a failed upload can be started again): nothing follows, so let go.
    if (snapshot.status === UploadStatus.Done || snapshot.status === UploadStatus.Cancelled) this.#listeners.clear();
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        // A listener's bug must not break the upload; report it where uncaught errors go.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
