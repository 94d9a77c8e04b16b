// Modal dialogs on the native <dialog> element (focus trapping and Escape come with it).

import { h } from '../dom.js';

/** Opens a modal with a title and content; returns {dialog, body, close}. */
export function modal(title, { wide = false, onClose } = {}) {
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const body = h('div', { class: 'dialog-body' });
  const closeButton = h('button', { type: 'button', class: 'button ghost icon', 'aria-label': 'Close' }, '×');
  const dialog = h('dialog', { class: wide ? 'dialog wide' : 'dialog', 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title), closeButton),
    body);
  const close = () => dialog.close();
  closeButton.addEventListener('click', close);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (onClose) onClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, close };
}

/** Asks a yes/no question; resolves true when confirmed. */
export function confirm(title, message, confirmLabel) {
  return new Promise((resolve) => {
    let answer = false;
    const { body, close } = modal(title, { onClose: () => resolve(answer) });
    const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'button danger solid' }, confirmLabel);
    cancel.addEventListener('click', close);
    ok.addEventListener('click', () => {
      answer = true;
      close();
    });
    body.append(h('p', {}, message), h('div', { class: 'form-actions' }, cancel, ok));
    cancel.focus();
  });
}
