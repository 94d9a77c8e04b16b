// The admin page: every user with usage and limits, and editing the limits. Only admins get
// here; the API answers 403 to anyone else, which is what the app asks to decide.

import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { bytes } from '../format.js';

const MIB = 1024 * 1024;

export async function renderAdmin(root, ctx, isAdmin) {
  if (!isAdmin) {
    root.append(h('section', { class: 'panel' },
      h('h1', {}, 'Admin'),
      h('p', { class: 'notice warning', role: 'status' }, 'Admin access required. An operator can make you an admin on the server with "defdrive admin grant <username>".'),
      h('p', {}, h('a', { href: '#/files' }, 'Back to your files'))));
    return;
  }
  const tbody = h('tbody');
  root.append(h('section', { class: 'panel', 'aria-labelledby': 'admin-title' },
    h('h1', { id: 'admin-title' }, 'Users and limits'),
    h('table', { class: 'admin-table' },
      h('caption', { class: 'visually-hidden' }, 'Users with their usage and limits'),
      h('thead', {}, h('tr', {},
        ['User', 'Files', 'Storage', 'Max files', 'Max storage (MiB)', ''].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)));

  async function load() {
    const { users } = await api.get('/api/admin/users/limits');
    replace(tbody, users.map(row));
  }

  function row(u) {
    const maxFiles = h('input', { type: 'number', min: 0, step: 1, value: u.max_files, 'aria-label': `Max files for ${u.username}`, class: 'num-input' });
    const maxStorage = h('input', { type: 'number', min: 0, step: 'any', value: +(u.max_storage / MIB).toFixed(3), 'aria-label': `Max storage in MiB for ${u.username}`, class: 'num-input' });
    const status = h('span', { class: 'row-status', role: 'status' });
    const save = h('button', { type: 'button', class: 'button small primary', 'aria-label': `Save limits of ${u.username}` }, 'Save');
    save.addEventListener('click', async () => {
      status.textContent = '';
      status.className = 'row-status';
      const files = Number(maxFiles.value);
      const storage = Math.round(Number(maxStorage.value) * MIB);
      if (maxFiles.value === '' || maxStorage.value === '' || !Number.isFinite(files) || !Number.isFinite(storage)) {
        status.textContent = 'Enter both limits as numbers.';
        status.classList.add('error');
        return;
      }
      save.disabled = true;
      try {
        await api.put(`/api/admin/users/${u.user_id}/limits`, { max_files: Math.trunc(files), max_storage: storage });
        toast(`Limits of ${u.username} saved.`);
        await load();
      } catch (e) {
        if (e.status === 401) return;
        status.textContent = e.message;
        status.classList.add('error');
        save.disabled = false;
      }
    });
    return h('tr', { dataset: { user: u.username } },
      h('td', { 'data-label': 'User' }, h('span', { class: 'file-name' }, u.username), h('br'), h('span', { class: 'hint' }, u.email || '')),
      h('td', { 'data-label': 'Files', class: 'num' }, `${u.current_files} of ${u.max_files}`),
      h('td', { 'data-label': 'Storage', class: 'num' }, `${bytes(u.current_storage)} of ${bytes(u.max_storage)}`),
      h('td', { 'data-label': 'Max files' }, maxFiles),
      h('td', { 'data-label': 'Max storage (MiB)' }, maxStorage),
      h('td', { 'data-label': '' }, save, status));
  }

  await load();
}
