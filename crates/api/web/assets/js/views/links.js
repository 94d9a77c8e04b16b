// Share links of one file, in a dialog: the list with each link's state, copy, edit and
// delete, and a form to create or edit one. Expiry is picked in local time and sent as UTC.

import * as api from '../api.js';
import { h, field, replace, setFieldError, toast } from '../dom.js';
import { dateTime, fromLocalInput, toLocalInput } from '../format.js';
import { confirm, modal } from './dialog.js';

/** The link's state, in the order the server checks its rules. */
export function linkState(access, file, now = Date.now()) {
  if (!access.Public) return { label: 'Private', kind: 'off' };
  if (!file.Public) return { label: 'File is private', kind: 'off' };
  if (access.Expires && Date.parse(access.Expires) <= now) return { label: 'Expired', kind: 'off' };
  if (access.OneTimeUse && access.Used) return { label: 'Used', kind: 'off' };
  if (access.EnableTTL && access.TTL <= 0) return { label: 'No downloads left', kind: 'off' };
  return { label: 'Active', kind: 'on' };
}

function linkUrl(access) {
  return `${location.origin}/link/${access.Link}`;
}

async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    input.select();
    document.execCommand('copy');
  }
  toast('Link copied to the clipboard.');
}

function list(text) {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

export function openLinks(file, { onFileChanged }) {
  const { body } = modal(`Share links · ${file.Name}`, { wide: true });
  const privateNote = h('div', { class: 'notice warning', hidden: file.Public });
  const items = h('ul', { class: 'link-list', 'aria-label': 'Share links' });
  const formBox = h('div', { class: 'link-form-box' });
  const newButton = h('button', { type: 'button', class: 'button primary' }, 'New link');
  newButton.addEventListener('click', () => renderForm(null));
  body.append(privateNote, items, h('div', { class: 'new-link' }, newButton), formBox);
  let accesses = [];

  function closeForm() {
    formBox.replaceChildren();
    newButton.hidden = false;
  }

  function renderPrivateNote() {
    privateNote.hidden = file.Public;
    const button = h('button', { type: 'button', class: 'button small' }, 'Make the file public');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const reply = await api.put(`/api/files/${file.ID}/access`, { public: true });
        file.Public = reply.file.Public;
        renderPrivateNote();
        renderList();
        onFileChanged();
      } catch (e) {
        button.disabled = false;
        if (e.status !== 401) toast(e.message, 'error');
      }
    });
    replace(privateNote, h('span', {}, 'This file is private, so none of its links work until it is public. '), button);
  }

  async function load() {
    const reply = await api.get(`/api/files/${file.ID}/access`);
    accesses = reply.accesses;
    renderList();
  }

  function renderList() {
    if (accesses.length === 0) {
      replace(items, h('li', { class: 'empty' }, 'No links yet.'));
      return;
    }
    replace(items, accesses.map(item));
  }

  function item(access) {
    const state = linkState(access, file);
    const url = h('input', { type: 'text', readOnly: true, value: linkUrl(access), class: 'link-url', 'aria-label': `Address of ${access.Name || 'the link'}` });
    const copyBtn = h('button', { type: 'button', class: 'button small' }, 'Copy link');
    copyBtn.addEventListener('click', () => copy(url.value, url));
    const editBtn = h('button', { type: 'button', class: 'button small' }, 'Edit');
    editBtn.addEventListener('click', () => renderForm(access));
    const deleteBtn = h('button', { type: 'button', class: 'button small danger' }, 'Delete');
    deleteBtn.addEventListener('click', async () => {
      const sure = await confirm('Delete link?', `The link “${access.Name || access.Link}” will stop working.`, 'Delete');
      if (!sure) return;
      try {
        await api.del(`/api/access/${access.ID}`);
        toast('Link deleted.');
        await load();
        closeForm();
      } catch (e) {
        if (e.status !== 401) toast(e.message, 'error');
      }
    });
    const details = [
      access.Expires ? `Expires ${dateTime(access.Expires)}` : 'Never expires',
      access.OneTimeUse ? (access.Used ? 'One-time, used' : 'One-time') : null,
      access.EnableTTL ? `${access.TTL} download${access.TTL === 1 ? '' : 's'} left` : (access.OneTimeUse ? null : 'Unlimited downloads'),
      access.IPs.length > 0 ? `IPs: ${access.IPs.join(', ')}` : null,
      access.Subnets.length > 0 ? `Subnets: ${access.Subnets.join(', ')}` : null,
    ].filter(Boolean);
    return h('li', { class: 'link-item', dataset: { id: access.ID } },
      h('div', { class: 'link-head' },
        h('span', { class: 'link-name' }, access.Name || 'Unnamed link'),
        h('span', { class: `badge ${state.kind}` }, state.label)),
      h('p', { class: 'link-details' }, details.join(' · ')),
      h('div', { class: 'link-actions' }, url, copyBtn, editBtn, deleteBtn));
  }

  function renderForm(editing) {
    const a = editing || {};
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const name = field('Link name', h('input', { name: 'name', value: a.Name || '', maxlength: 255 }));
    const expires = field('Expires', h('input', { name: 'expires', type: 'datetime-local', value: toLocalInput(a.Expires) }),
      `Your local time${tz ? ` (${tz})` : ''}. Leave empty for a link that never expires.`);
    const oneTime = h('input', { type: 'checkbox', name: 'oneTimeUse', checked: Boolean(a.OneTimeUse), id: 'link-onetime' });
    const enableTtl = h('input', { type: 'checkbox', name: 'enableTTL', checked: Boolean(a.EnableTTL), id: 'link-enablettl' });
    const ttl = field('Maximum downloads', h('input', { name: 'ttl', type: 'number', min: 1, step: 1, value: a.EnableTTL ? a.TTL : 5, disabled: !a.EnableTTL, class: 'ttl-input' }));
    ttl.wrap.classList.add('ttl-field');
    enableTtl.addEventListener('change', () => { ttl.input.disabled = !enableTtl.checked; });
    const ips = field('Allowed IP addresses', h('input', { name: 'ips', value: (a.IPs || []).join(', '), autocomplete: 'off' }),
      'Separated by commas, e.g. 203.0.113.45, 2001:db8::1. Empty: any address.');
    const subnets = field('Allowed subnets', h('input', { name: 'subnets', value: (a.Subnets || []).join(', '), autocomplete: 'off' }),
      'CIDR ranges, e.g. 10.0.0.0/8. Empty: any network.');
    const isPublic = h('input', { type: 'checkbox', name: 'public', checked: editing ? Boolean(a.Public) : true, id: 'link-public' });
    const error = h('p', { class: 'notice error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'button primary' }, editing ? 'Save changes' : 'Create link');
    const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
    cancel.addEventListener('click', closeForm);
    const check = (input, label) => h('div', { class: 'check' }, input, h('label', { for: input.id }, label));

    const form = h('form', { class: 'link-form', novalidate: true, 'aria-labelledby': 'link-form-title' },
      h('h3', { id: 'link-form-title' }, editing ? `Edit “${a.Name || 'Unnamed link'}”` : 'New link'),
      error,
      h('div', { class: 'grid' }, name.wrap, expires.wrap),
      h('div', { class: 'checks' },
        check(oneTime, 'One-time link (works for one download)'),
        h('div', { class: 'ttl-row' }, check(enableTtl, 'Limit the number of downloads'), ttl.wrap),
        check(isPublic, 'Link enabled (public)')),
      h('div', { class: 'grid' }, ips.wrap, subnets.wrap),
      h('div', { class: 'form-actions' }, cancel, submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      for (const f of [expires, ttl, ips, subnets]) setFieldError(f, '');
      error.hidden = true;
      const payload = {
        name: name.input.value.trim(),
        expires: fromLocalInput(expires.input.value),
        oneTimeUse: oneTime.checked,
        enableTTL: enableTtl.checked,
        ttl: enableTtl.checked ? Number.parseInt(ttl.input.value, 10) || 0 : 0,
        ips: list(ips.input.value),
        subnets: list(subnets.input.value),
        public: isPublic.checked,
      };
      submit.disabled = true;
      try {
        let id;
        if (editing) {
          await api.put(`/api/access/${editing.ID}`, payload);
          id = editing.ID;
          toast('Link saved.');
        } else {
          const reply = await api.post(`/api/files/${file.ID}/access`, payload);
          id = reply.access.ID;
          toast('Link created.');
        }
        await load();
        closeForm();
        const saved = items.querySelector(`[data-id="${Number(id)}"]`);
        if (saved) {
          saved.classList.add('fresh');
          saved.scrollIntoView({ block: 'nearest' });
          saved.querySelector('.link-actions button').focus();
        }
      } catch (err) {
        if (err.status === 401) return;
        const m = err.message;
        if (/^Invalid subnet/i.test(m)) setFieldError(subnets, m);
        else if (/^Invalid IP/i.test(m)) setFieldError(ips, m);
        else if (/^Invalid expires/i.test(m)) setFieldError(expires, m);
        else if (/^ttl/i.test(m)) setFieldError(ttl, m);
        else {
          error.textContent = m;
          error.hidden = false;
        }
      } finally {
        submit.disabled = false;
      }
    });
    replace(formBox, form);
    newButton.hidden = true;
    form.scrollIntoView({ block: 'nearest' });
    name.input.focus();
  }

  renderPrivateNote();
  load().catch((e) => {
    if (e.status !== 401) replace(items, h('li', { class: 'notice error' }, e.message));
  });
}
