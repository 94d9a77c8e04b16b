// The files page: uploads, the file table (search, sort, public switch, download, links,
// delete), and the usage panel with the breakdown by type.

import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { bytes, dateTime, extension } from '../format.js';
import { confirm } from './dialog.js';
import { openLinks } from './links.js';
import { createUploader } from './upload.js';
import { renderChart, renderUsage } from './usage.js';

const SORTS = {
  'date-desc': ['Newest first', (a, b) => b.ID - a.ID],
  'date-asc': ['Oldest first', (a, b) => a.ID - b.ID],
  'name-asc': ['Name A–Z', (a, b) => collator.compare(a.Name, b.Name)],
  'name-desc': ['Name Z–A', (a, b) => collator.compare(b.Name, a.Name)],
  'size-desc': ['Largest first', (a, b) => b.Size - a.Size || b.ID - a.ID],
  'size-asc': ['Smallest first', (a, b) => a.Size - b.Size || a.ID - b.ID],
};
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export async function renderFiles(root, ctx) {
  const state = { files: [], query: '', sort: 'date-desc' };

  const usageBody = h('div', { class: 'usage-body' });
  const chartBody = h('div', { class: 'chart-body' });
  const count = h('span', { class: 'count' });
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true });

  const search = h('input', { type: 'search', id: 'file-search', placeholder: 'Search by name', autocomplete: 'off' });
  search.addEventListener('input', () => {
    state.query = search.value;
    renderTable();
  });
  const sort = h('select', { id: 'file-sort' },
    Object.entries(SORTS).map(([value, [label]]) => h('option', { value }, label)));
  sort.addEventListener('change', () => {
    state.sort = sort.value;
    renderTable();
  });

  async function refresh() {
    const [list, limits, stats] = await Promise.all([
      api.get('/api/files'),
      api.get('/api/user/limits'),
      api.get('/api/files/stats'),
    ]);
    state.files = list.files;
    renderTable();
    renderUsage(usageBody, limits);
    renderChart(chartBody, stats);
  }

  const refreshQuietly = () => refresh().catch((e) => {
    if (e.status !== 401) toast(e.message, 'error');
  });

  function renderTable() {
    const q = state.query.trim().toLowerCase();
    const shown = state.files
      .filter((f) => !q || f.Name.toLowerCase().includes(q))
      .sort(SORTS[state.sort][1]);
    count.textContent = state.files.length === 1 ? '1 file' : `${state.files.length} files`;
    replace(tbody, shown.map(row));
    if (state.files.length === 0) {
      empty.textContent = 'No files yet. Upload some above.';
    } else if (shown.length === 0) {
      empty.textContent = `No file name contains “${state.query}”.`;
    }
    empty.hidden = shown.length > 0;
  }

  function row(file) {
    const ext = extension(file.Name);
    const toggle = h('input', {
      type: 'checkbox', role: 'switch', class: 'switch-input', checked: file.Public,
      'aria-label': `Public: ${file.Name}`,
    });
    const toggleText = h('span', { class: 'switch-text' }, file.Public ? 'Public' : 'Private');
    toggle.addEventListener('change', async () => {
      toggle.disabled = true;
      try {
        const reply = await api.put(`/api/files/${file.ID}/access`, { public: toggle.checked });
        file.Public = reply.file.Public;
      } catch (e) {
        if (e.status !== 401) toast(e.message, 'error');
      } finally {
        toggle.checked = file.Public;
        toggleText.textContent = file.Public ? 'Public' : 'Private';
        toggle.disabled = false;
      }
    });

    const downloadBtn = h('button', { type: 'button', class: 'button small', 'aria-label': `Download ${file.Name}` }, 'Download');
    downloadBtn.addEventListener('click', async () => {
      downloadBtn.disabled = true;
      try {
        await api.download(file);
      } catch (e) {
        if (e.status !== 401) toast(e.message, 'error');
      } finally {
        downloadBtn.disabled = false;
      }
    });
    const linksBtn = h('button', { type: 'button', class: 'button small', 'aria-label': `Share links for ${file.Name}` }, 'Links');
    linksBtn.addEventListener('click', () => openLinks(file, { onFileChanged: refreshQuietly }));
    const deleteBtn = h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${file.Name}` }, 'Delete');
    deleteBtn.addEventListener('click', async () => {
      const sure = await confirm('Delete file?',
        `“${file.Name}” will be deleted, and its share links will stop working.`, 'Delete');
      if (!sure) return;
      try {
        await api.del(`/api/files/${file.ID}`);
        toast(`Deleted “${file.Name}”.`);
        await refresh();
      } catch (e) {
        if (e.status !== 401) toast(e.message, 'error');
      }
    });

    return h('tr', { dataset: { id: file.ID } },
      h('td', { class: 'name', 'data-label': 'Name' }, h('span', { class: 'file-name' }, file.Name)),
      h('td', { class: 'size num', 'data-label': 'Size' }, bytes(file.Size)),
      h('td', { class: 'type', 'data-label': 'Type' }, ext === 'no_extension' ? '—' : ext.toUpperCase()),
      h('td', { class: 'date', 'data-label': 'Uploaded' }, h('time', { datetime: file.CreatedAt }, dateTime(file.CreatedAt))),
      h('td', { class: 'public', 'data-label': 'Public' }, h('label', { class: 'switch' }, toggle, toggleText)),
      h('td', { class: 'actions', 'data-label': 'Actions' }, h('div', { class: 'row-actions' }, downloadBtn, linksBtn, deleteBtn)));
  }

  const uploader = createUploader({ onUploaded: refreshQuietly });

  root.append(h('h1', { class: 'visually-hidden' }, 'Files'), h('div', { class: 'files-page' },
    h('div', { class: 'col-main' },
      h('section', { class: 'panel', 'aria-labelledby': 'upload-title' },
        h('h2', { id: 'upload-title' }, 'Upload'), uploader),
      h('section', { class: 'panel', 'aria-labelledby': 'files-title' },
        h('div', { class: 'panel-head' }, h('h2', { id: 'files-title' }, 'Your files'), count),
        h('div', { class: 'toolbar' },
          h('div', { class: 'field inline' }, h('label', { for: 'file-search' }, 'Search'), search),
          h('div', { class: 'field inline' }, h('label', { for: 'file-sort' }, 'Sort'), sort)),
        h('table', { class: 'file-table' },
          h('caption', { class: 'visually-hidden' }, 'Your files'),
          h('thead', {}, h('tr', {},
            ['Name', 'Size', 'Type', 'Uploaded', 'Public', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
          tbody),
        empty)),
    h('aside', { class: 'col-side' },
      h('section', { class: 'panel', 'aria-labelledby': 'usage-title' },
        h('h2', { id: 'usage-title' }, 'Usage'), usageBody),
      h('section', { class: 'panel', 'aria-labelledby': 'types-title' },
        h('h2', { id: 'types-title' }, 'By file type'), chartBody))));

  await refresh();
}
