// Uploads FILE to a defdrive server with tus-js-client, in CHUNK_SIZE-byte PATCHes.
// Environment: DEFDRIVE_URL, DEFDRIVE_TOKEN, FILE, CHUNK_SIZE, and UPLOAD_URL to go on with an
// upload that already exists. Prints one JSON line:
// {"patches": n, "fileId": "…", "url": "…"}; exits non-zero on failure.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as tus from 'tus-js-client';

const { DEFDRIVE_URL, DEFDRIVE_TOKEN, FILE, CHUNK_SIZE, UPLOAD_URL } = process.env;
const data = readFileSync(FILE);
let patches = 0;

const upload = new tus.Upload(data, {
  endpoint: `${DEFDRIVE_URL}/api/tus/`,
  chunkSize: Number(CHUNK_SIZE),
  retryDelays: [100, 500, 1000],
  headers: { Authorization: `Bearer ${DEFDRIVE_TOKEN}` },
  metadata: { filename: basename(FILE), filetype: 'application/octet-stream' },
  uploadDataDuringCreation: false,
  uploadUrl: UPLOAD_URL || null,
  onAfterResponse(req, res) {
    if (req.getMethod() === 'PATCH' && res.getStatus() === 204) patches += 1;
  },
  onError(error) {
    console.error(`tus-js-client failed: ${error}`);
    process.exit(1);
  },
  onSuccess(payload) {
    const fileId = payload?.lastResponse?.getHeader('Defdrive-File-Id') ?? null;
    console.log(JSON.stringify({ patches, fileId, url: upload.url }));
  },
});
upload.start();
