import { watermarkToWire } from '../../core/protocol/watermark.js';
import { toWireNode, type WireValue } from '../../core/protocol/wire.js';
import { formatServiceTime } from '../clock.js';
import type { Job } from './job-store.js';

/** A `JobsDetail` element as the service writes it: text only, in the service's element order. */
export type JobsDetailNode = Record<string, WireValue>;

const time = (ms: number | undefined): string => (ms === undefined ? '-' : formatServiceTime(ms));

/**
 * `Operation` of a job: the echo of the submitted operation in the documented element order (with `TemplateName`
 * after `TemplateId`, `JobLevel` always, `0` by default), then the results once the job has them. `Output.Object`
 * is echoed as submitted, `${ext}` included; the resolved key is in `MediaResult`. `DigitalWatermark.State` is
 * `Running` until the job ends.
 */
function operationOf(job: Job): Record<string, unknown> {
  const { request, result } = job;
  if (request.Tag === 'ExtractDigitalWatermark') {
    const extract = request.Operation.ExtractDigitalWatermark;
    return {
      ExtractDigitalWatermark: { Type: extract.Type, Version: extract.Version, Message: result.extractedMessage },
      UserData: request.Operation.UserData,
      JobLevel: job.level,
    };
  }
  const operation = request.Operation;
  const digital = operation.DigitalWatermark;
  const removal = operation.RemoveWatermark;
  const output = job.result.outputFile;
  return {
    TemplateId: operation.TemplateId,
    TemplateName: job.templateName,
    WatermarkTemplateId: operation.WatermarkTemplateId,
    Watermark: operation.Watermark?.map(watermarkToWire),
    RemoveWatermark: removal && { Dx: removal.Dx, Dy: removal.Dy, Width: removal.Width, Height: removal.Height },
    DigitalWatermark: digital && {
      Type: digital.Type,
      Message: digital.Message,
      Version: digital.Version,
      IgnoreError: digital.IgnoreError ?? false,
      State: result.digitalWatermarkState ?? 'Running',
    },
    Output: { Region: operation.Output.Region, Bucket: operation.Output.Bucket, Object: operation.Output.Object },
    UserData: operation.UserData,
    JobLevel: job.level,
    MediaInfo: result.mediaInfo,
    MediaResult: output && {
      OutputFile: {
        Bucket: output.bucket,
        Md5Info: { Md5: output.md5, ObjectName: output.key },
        ObjectName: output.key,
        Region: output.region,
      },
    },
  };
}

/**
 * The `JobsDetail` of a job, in the order of the service's API samples: `Code`, `Message`, `JobId`, `State`,
 * `Progress`, the three times (`-` when unset), `QueueId`, `QueueType`, `Tag`, `Input`, `Operation`. Every value is
 * text, so media information keeps the service's formatting (`"4.000000"`).
 */
export function jobDetail(job: Job): JobsDetailNode {
  return toWireNode({
    Code: job.code,
    Message: job.message,
    JobId: job.id,
    State: job.state,
    Progress: job.progress,
    CreationTime: time(job.creationTime),
    StartTime: time(job.startTime),
    EndTime: time(job.endTime),
    QueueId: job.queueId,
    QueueType: job.queueType,
    Tag: job.request.Tag,
    Input: { BucketId: job.bucket, Object: job.request.Input.Object, Region: job.region },
    Operation: operationOf(job),
  });
}
