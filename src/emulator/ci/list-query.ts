import { JobState } from '../../core/protocol/job-state.js';
import { parseServiceTime } from '../clock.js';
import { serviceError } from '../errors.js';
import { queryParam, type RequestContext } from '../http/request-context.js';
import type { JobQuery, ListCursor } from './job-store.js';

const STATES = new Set<string>(Object.values(JobState));

const invalid = (message: string) => serviceError('InvalidArgument', message);

/**
 * `NextToken`: an opaque token for the position after the last job of a page (base64url of its creation time and
 * submission number), so the next page starts there whatever jobs were added meanwhile.
 */
export const encodeCursor = (cursor: ListCursor): string =>
  Buffer.from(`${cursor.time}.${cursor.seq}`).toString('base64url');

function decodeCursor(token: string): ListCursor {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(token, 'base64url').toString('latin1'));
  if (!match || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid('nextToken is not a token this service issued.');
  return { time: Number(match[1]), seq: Number(match[2]) };
}

/** A query parameter; an empty value counts as absent (the Python SDK always sends `nextToken=`, `states=`...). */
function param(ctx: RequestContext, name: string): string | undefined {
  const value = queryParam(ctx, name);
  return value === undefined || value === '' ? undefined : value;
}

function time(ctx: RequestContext, name: string): number | undefined {
  const value = param(ctx, name);
  if (value === undefined) return undefined;
  const ms = parseServiceTime(value);
  if (ms === undefined) {
    throw invalid(`${name} must be a time such as 2001-01-01T00:00:00+0800 (URL-encode + as %2B).`);
  }
  return ms;
}

/**
 * Reads the parameters of `GET /jobs` (section 5.6): `tag` (required), `queueId`, `inputObject` (exact),
 * `states` (comma list, `All` by default), `startCreationTime` / `endCreationTime` (inclusive, service time format),
 * `orderByTime` (`Desc` by default, or `Asc`), `size` (1..100, 10 by default) and `nextToken`. Parameter names are
 * matched case-insensitively; `queueType`, `workflowId` and `inventoryTriggerJobId` are accepted and ignored (the
 * emulator has no workflows and one queue type per job). A bad value is a 400 `InvalidArgument` naming it.
 */
export function parseListQuery(ctx: RequestContext, bucket: string): JobQuery {
  const tag = param(ctx, 'tag');
  if (tag === undefined) throw invalid('tag is required.');
  if (!/^[A-Za-z]{1,64}$/.test(tag)) throw invalid('tag must be a job tag such as Transcode.');
  let states: Set<JobState> | undefined;
  const stateList = param(ctx, 'states');
  if (stateList !== undefined) {
    const names = stateList.split(',').map((name) => name.trim());
    for (const name of names) {
      if (name !== 'All' && !STATES.has(name)) {
        throw invalid('states must be a comma list of All, Submitted, Running, Success, Failed, Pause, Cancel.');
      }
    }
    states = names.includes('All') ? undefined : new Set(names as JobState[]);
  }
  const order = param(ctx, 'orderByTime') ?? 'Desc';
  if (order !== 'Desc' && order !== 'Asc') throw invalid('orderByTime must be Desc or Asc.');
  const sizeText = param(ctx, 'size') ?? '10';
  const size = /^\d{1,3}$/.test(sizeText) ? Number(sizeText) : NaN;
  if (!(size >= 1 && size <= 100)) throw invalid('size must be an integer from 1 to 100.');
  const token = param(ctx, 'nextToken');
  return {
    bucket,
    tag,
    queueId: param(ctx, 'queueId'),
    inputObject: param(ctx, 'inputObject'),
    states,
    from: time(ctx, 'startCreationTime'),
    to: time(ctx, 'endCreationTime'),
    order,
    size,
    after: token === undefined ? undefined : decodeCursor(token),
  };
}
