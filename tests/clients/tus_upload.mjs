#!/usr/bin/env node
// Uploads a file to a tus 1.0.0 server with the stock tus-js-client, unmodified.
//
//   node tus_upload.mjs <endpoint> <token> <file> [chunkSize] [--interrupt-after BYTES] [--org-id ID]
//
// Prints one JSON line: {"upload_url": ..., "asset_id": ..., "resumed_from": n|null}.
// Failed requests are retried after short delays; a retry asks the server for the offset (HEAD)
// and goes on from there, and `resumed_from` is the offset that HEAD answered (null when no
// HEAD was needed).
// With --interrupt-after, the first upload is aborted (upload.abort(), no termination) once the
// server has acknowledged at least BYTES, and a new tus.Upload given the same `uploadUrl`
// resumes it: it asks the server for the offset (HEAD) and sends only the rest. `resumed_from`
// is the Upload-Offset the server answered that HEAD with.
// Run `npm ci --prefix tests/clients` (scripts/test does) before using it.

import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import * as tus from 'tus-js-client';

function usage(message) {
  if (message) console.error(`tus_upload.mjs: ${message}`);
  console.error(
    'usage: node tus_upload.mjs <endpoint> <token> <file> [chunkSize] [--interrupt-after BYTES] [--org-id ID]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  const opts = { interruptAfter: null, orgId: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      // Everything after is positional (a token may begin with "-").
      positional.push(...argv.slice(i + 1));
      break;
    } else if (arg === '--interrupt-after') {
      opts.interruptAfter = Number(argv[++i]);
      if (!Number.isSafeInteger(opts.interruptAfter) || opts.interruptAfter <= 0) {
        usage('--interrupt-after needs a positive number of bytes');
      }
    } else if (arg === '--org-id') {
      opts.orgId = argv[++i];
      if (!opts.orgId) usage('--org-id needs a value');
    } else if (arg.startsWith('--')) {
      usage(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length < 3 || positional.length > 4) usage();
  const [endpoint, token, file, chunk] = positional;
  let chunkSize = Infinity;
  if (chunk !== undefined) {
    chunkSize = Number(chunk);
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) usage('chunkSize must be a positive integer');
  }
  return { endpoint, token, file, chunkSize, ...opts };
}

const args = parseArgs(process.argv.slice(2));
const size = fs.statSync(args.file).size;
const metadata = { filename: path.basename(args.file) };
if (args.orgId) metadata.org_id = args.orgId;

// Options shared by both uploads. `headers` go on every request, as the client documents.
function baseOptions() {
  return {
    endpoint: args.endpoint,
    headers: { Authorization: `Bearer ${args.token}` },
    metadata,
    chunkSize: args.chunkSize,
    retryDelays: [0, 100, 300],
  };
}

// Runs one tus.Upload to completion, or until `stopWhen(bytesAccepted)` says to abort it.
// Resolves with what was observed.
function runUpload(extraOptions, stopWhen = null) {
  return new Promise((resolve, reject) => {
    const seen = { assetId: null, headOffset: null, accepted: 0, aborted: false };
    // A fs.ReadStream with a path: tus-js-client reads each chunk from the file by range.
    const upload = new tus.Upload(fs.createReadStream(args.file), {
      ...baseOptions(),
      ...extraOptions,
      onAfterResponse(req, res) {
        const asset = res.getHeader('Caravan-Asset-Id');
        if (asset) seen.assetId = asset;
        if (req.getMethod() === 'HEAD' && seen.headOffset == null) {
          seen.headOffset = Number.parseInt(res.getHeader('Upload-Offset'), 10);
        }
      },
      onChunkComplete(_chunkSize, bytesAccepted) {
        seen.accepted = bytesAccepted;
        if (stopWhen && !seen.aborted && bytesAccepted < size && stopWhen(bytesAccepted)) {
          seen.aborted = true;
          // Stop without terminating: the upload stays on the server, ready to be resumed.
          upload.abort(false).then(() => resolve({ upload, seen }), reject);
        }
      },
      onSuccess({ lastResponse }) {
        const asset = lastResponse.getHeader('Caravan-Asset-Id');
        if (asset) seen.assetId = asset;
        resolve({ upload, seen });
      },
      onError: reject,
    });
    upload.start();
  });
}

async function main() {
  let resumedFrom = null;
  let result;
  if (args.interruptAfter != null) {
    const first = await runUpload({}, (accepted) => accepted >= args.interruptAfter);
    if (!first.seen.aborted) {
      throw new Error(
        `the upload finished before ${args.interruptAfter} bytes could be interrupted; use a smaller chunkSize`,
      );
    }
    const uploadUrl = first.upload.url;
    // A NEW upload object, as after a crash: only the URL of the earlier upload survives.
    result = await runUpload({ uploadUrl });
    resumedFrom = result.seen.headOffset;
    if (resumedFrom == null) throw new Error('the resumed upload never asked the server for its offset');
    if (result.upload.url !== uploadUrl) {
      throw new Error(`resuming created a new upload (${result.upload.url}) instead of continuing ${uploadUrl}`);
    }
  } else {
    result = await runUpload({});
    resumedFrom = result.seen.headOffset;
  }
  if (!result.seen.assetId) throw new Error('the final response carried no Caravan-Asset-Id');
  console.log(
    JSON.stringify({ upload_url: result.upload.url, asset_id: result.seen.assetId, resumed_from: resumedFrom }),
  );
}

main().catch((err) => {
  console.error(`tus_upload.mjs: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
