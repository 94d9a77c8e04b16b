// Uploading: a file picker and a drop zone, several files at once (three at a time), each
// with its own progress bar, speed and outcome — the server's error when it refuses.

import * as api from '../api.js';
import { h } from '../dom.js';
import { bytes, speed } from '../format.js';

const PARALLEL = 3;

/** The server's refusal in words, with the numbers of the quota errors. */
export function describeUploadError(error, file) {
  const b = error.body || {};
  if (b.error === 'Storage limit exceeded' && b.max_storage !== undefined) {
    const left = Math.max(0, b.max_storage - b.current_storage);
    const size = b.file_size ?? file.size;
    // When rounding makes both look the same, show the exact numbers.
    const [sizeText, leftText] = bytes(size) === bytes(left)
      ? [`${size.toLocaleString('en')} bytes`, `${left.toLocaleString('en')} bytes`]
      : [bytes(size), bytes(left)];
    return `Storage limit exceeded: this file is ${sizeText}, `
      + `you use ${bytes(b.current_storage)} of ${bytes(b.max_storage)} (${leftText} free).`;
  }
  if (b.error === 'File limit exceeded' && b.max_files !== undefined) {
    return `File limit exceeded: you have ${b.current_files} of ${b.max_files} files.`;
  }
  return error.message;
}

export function createUploader({ onUploaded }) {
  const input = h('input', { type: 'file', id: 'upload-input', multiple: true, hidden: true, 'aria-label': 'Files to upload' });
  const choose = h('button', { type: 'button', class: 'button primary' }, 'Choose files');
  choose.addEventListener('click', () => input.click());
  const zone = h('div', { class: 'dropzone' },
    h('p', {}, h('strong', {}, 'Drop files here'), ' or'),
    choose, input);
  const list = h('ul', { class: 'upload-list', 'aria-label': 'Uploads', 'aria-live': 'polite' });
  const clearBtn = h('button', { type: 'button', class: 'button small ghost', hidden: true }, 'Clear finished uploads');
  clearBtn.addEventListener('click', () => {
    for (const li of list.querySelectorAll('.upload-item.done, .upload-item.failed')) li.remove();
    clearBtn.hidden = true;
  });
  const queue = [];
  let running = 0;

  function add(files) {
    for (const file of files) {
      queue.push(item(file));
    }
    pump();
  }

  function pump() {
    while (running < PARALLEL && queue.length > 0) {
      const start = queue.shift();
      running += 1;
      start().finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  function item(file) {
    const bar = h('progress', { max: 100, value: 0, 'aria-label': `Upload progress of ${file.name}` });
    const status = h('span', { class: 'upload-status' }, 'Waiting…');
    const li = h('li', { class: 'upload-item' },
      h('div', { class: 'upload-line' },
        h('span', { class: 'upload-name' }, file.name),
        h('span', { class: 'upload-size' }, bytes(file.size))),
      bar, status);
    list.prepend(li);
    return async () => {
      const started = performance.now();
      status.textContent = 'Uploading… 0%';
      li.classList.add('running');
      try {
        await api.upload(file, (sent, total) => {
          const pct = total > 0 ? Math.floor((sent / total) * 100) : 100;
          const seconds = (performance.now() - started) / 1000;
          bar.value = pct;
          status.textContent = `Uploading… ${pct}% · ${seconds > 0 ? speed(sent / seconds) : ''}`;
        });
        const seconds = (performance.now() - started) / 1000;
        bar.value = 100;
        li.classList.add('done');
        status.textContent = `Uploaded · ${seconds > 0 ? speed(file.size / seconds) : ''}`;
        onUploaded();
      } catch (e) {
        li.classList.add('failed');
        bar.value = 0;
        status.setAttribute('role', 'alert');
        status.textContent = describeUploadError(e, file);
        // A refusal means the page's view of the quota may be stale.
        if (e.status >= 400 && e.status !== 401) onUploaded();
      } finally {
        li.classList.remove('running');
        clearBtn.hidden = false;
      }
    };
  }

  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add('over');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    zone.addEventListener(type, () => zone.classList.remove('over'));
  }
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length > 0) add([...e.dataTransfer.files]);
  });

  return h('div', { class: 'uploader' }, zone, list, h('div', { class: 'upload-tools' }, clearBtn));
}
