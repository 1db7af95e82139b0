// The README's React 19 snippet, type-checked by the test run's `tsc --noEmit`: typed attributes, properties and
// events of <cos-transcoder>, and type errors for wrong ones (each `@ts-expect-error` fails the check if the line
// is accepted).
import { useState } from 'react';
import 'cos-transcoder';
import type {} from 'cos-transcoder/react';
import type { GetAuthorization } from 'cos-transcoder/core';

const getAuthorization: GetAuthorization = async (request, { signal }) => {
  const response = await fetch('/api/sts', { method: 'POST', body: JSON.stringify(request), signal });
  return response.json();
};

export function VideoUpload({ userId }: { userId: string }) {
  const [output, setOutput] = useState<string>();
  return (
    <>
      <cos-transcoder
        bucket="examplebucket-1250000000"
        region="ap-guangzhou"
        file-key={`uploads/${userId}/source.mp4`}
        template-id="t1460606b9752148c4ab182f55163ba7cd"
        digital-watermark={userId}
        getAuthorization={getAuthorization}
        oncos-upload-progress={(event) => console.log(Math.round(event.detail.percent * 100))}
        oncos-job-complete={(event) => setOutput(event.detail.outputs[0]?.key)}
        oncos-error={(event) => console.error(event.detail.error.code)}
      />
      {output && <p>Transcoded to {output}</p>}
    </>
  );
}

export const wrongTypes = (
  <>
    {/* @ts-expect-error job-tag takes Transcode or ExtractDigitalWatermark */}
    <cos-transcoder bucket="b-1" region="ap-guangzhou" file-key="a.mp4" job-tag="Transcoding" />
    {/* @ts-expect-error file-key is a string */}
    <cos-transcoder bucket="b-1" region="ap-guangzhou" file-key={42} />
    {/* @ts-expect-error getAuthorization is a function */}
    <cos-transcoder bucket="b-1" region="ap-guangzhou" file-key="a.mp4" getAuthorization="/api/sts" />
    {/* @ts-expect-error a job-complete detail has no percent */}
    <cos-transcoder bucket="b-1" region="ap-guangzhou" file-key="a.mp4" oncos-job-complete={(event) => event.detail.percent} />
    {/* @ts-expect-error manual is a boolean */}
    <cos-transcoder bucket="b-1" region="ap-guangzhou" file-key="a.mp4" manual="yes" />
  </>
);
