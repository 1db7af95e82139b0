import type { EmulatorEnv, EmulatorModule } from '../env.js';
import { createMultipartHandlers } from './multipart-handlers.js';
import { MultipartStore } from './multipart-store.js';
import { createObjectHandlers } from './object-handlers.js';

/**
 * The COS object API: PUT / GET / HEAD / DELETE Object and the multipart upload operations (Initiate, UploadPart,
 * ListParts, ListMultipartUploads, Complete, Abort). Objects go to `env.objects`; parts of uploads in progress to
 * `<dataDir>/uploads/<uploadId>/`.
 *
 * `state()` reports the uploads and parts in progress and the number of objects, the latter as last counted: the
 * count is refreshed in the background after each COS write and each `state()` call (objects that CI jobs write are
 * counted at the next refresh).
 */
export function createCosModule(env: EmulatorEnv): EmulatorModule {
  const store = new MultipartStore(env.dataDir);
  let objects = 0;
  let counting: Promise<void> | undefined;
  let recount = false;
  const count = async (): Promise<void> => {
    do {
      recount = false;
      const lists = await Promise.all([...env.buckets.keys()].map((bucket) => env.objects.list(bucket)));
      objects = lists.reduce((total, list) => total + list.length, 0);
    } while (recount);
  };
  const changed = (): void => {
    if (counting) {
      recount = true;
      return;
    }
    counting = count()
      .catch(() => undefined)
      .finally(() => (counting = undefined));
  };
  changed();
  return {
    handlers: { ...createObjectHandlers(env, changed), ...createMultipartHandlers(env, store, changed) },
    async close() {
      await Promise.all([counting, store.close()]);
    },
    state() {
      changed();
      return { objects, ...store.counts };
    },
  };
}
