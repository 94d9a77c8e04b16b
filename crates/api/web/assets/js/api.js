// The public HTTP API (SPEC.md), with the session's token. A 401 on an authenticated call
// ends the session: the app goes back to the login form with a message.

import * as session from './session.js';

/** An error reply: `status`, the server's `message`, and its whole JSON `body`. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `Request failed (${status})`);
    this.status = status;
    this.body = body || {};
  }
}

let onUnauthorized = () => {};

/** What to do when the server refuses the token (expired, revoked, user gone). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function authHeader() {
  const s = session.load();
  return s ? { Authorization: `Bearer ${s.token}` } : {};
}

function unauthorized(error) {
  session.clear();
  onUnauthorized(error.message);
}

async function parse(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { error: `Unexpected reply from the server (${response.status})` };
  }
}

/** A JSON request. `auth: false` for login and signup, where 401 means a wrong password. */
export async function request(method, path, body, { auth = true } = {}) {
  const headers = auth ? authHeader() : {};
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { error: 'The server cannot be reached. Check your connection.' });
  }
  const data = await parse(response);
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (auth && response.status === 401) unauthorized(error);
    throw error;
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body, opts) => request('POST', path, body, opts);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

/**
 * Uploads one file as multipart field `file`, reporting progress with
 * `onProgress(sentBytes, totalBytes)`. XMLHttpRequest, because fetch has no upload progress.
 * Resolves with the reply; rejects with an ApiError. `signal` aborts.
 */
export function upload(file, onProgress, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/upload');
    const auth = authHeader();
    if (auth.Authorization) xhr.setRequestHeader('Authorization', auth.Authorization);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      let data;
      try {
        data = JSON.parse(xhr.responseText || '{}');
      } catch {
        data = { error: `Unexpected reply from the server (${xhr.status})` };
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      const error = new ApiError(xhr.status, data);
      if (xhr.status === 401) unauthorized(error);
      reject(error);
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { error: 'The upload was interrupted (network error).' })));
    xhr.addEventListener('abort', () => reject(new ApiError(0, { error: 'Upload cancelled' })));
    if (signal) signal.addEventListener('abort', () => xhr.abort());
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Downloads the caller's own file (the request needs the token, so a plain link cannot). */
export async function download(file) {
  let response;
  try {
    response = await fetch(`/api/files/${file.ID}/download`, { headers: authHeader() });
  } catch {
    throw new ApiError(0, { error: 'The server cannot be reached. Check your connection.' });
  }
  if (!response.ok) {
    const error = new ApiError(response.status, await parse(response));
    if (response.status === 401) unauthorized(error);
    throw error;
  }
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = file.Name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
