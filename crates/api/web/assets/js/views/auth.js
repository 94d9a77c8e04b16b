// Log in and sign up forms.

import * as api from '../api.js';
import { h, field, setFieldError } from '../dom.js';

function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

function formError() {
  return h('p', { class: 'notice error', role: 'alert', hidden: true });
}

function showError(el, message) {
  el.textContent = message;
  el.hidden = !message;
}

async function logIn(ctx, username, password) {
  const reply = await api.post('/api/login', { username, password }, { auth: false });
  ctx.loggedIn(reply.token, reply.user);
}

export function renderLogin(root, ctx, message) {
  document.title = 'Log in · defdrive';
  const username = field('Username', h('input', { name: 'username', autocomplete: 'username', required: true }));
  const password = field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }));
  const error = formError();
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Log in');
  const form = h('form', { class: 'auth-form', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, 'Log in'),
    message ? notice(message.kind, message.text) : null,
    error, username.wrap, password.wrap, submit,
    h('p', { class: 'switch' }, 'New here? ', h('a', { href: '#/signup' }, 'Create an account')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(error, '');
    if (!username.input.value || !password.input.value) {
      showError(error, 'Enter your username and password.');
      return;
    }
    submit.disabled = true;
    try {
      await logIn(ctx, username.input.value, password.input.value);
    } catch (err) {
      showError(error, err.message);
      password.input.select();
    } finally {
      submit.disabled = false;
    }
  });
  root.append(h('section', { class: 'auth panel' }, form));
  username.input.focus();
}

export function renderSignup(root, ctx) {
  document.title = 'Sign up · defdrive';
  const username = field('Username', h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 64 }),
    'Letters, digits, dot, dash and underscore.');
  const password = field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }),
    'At least 8 characters.');
  const name = field('Name (optional)', h('input', { name: 'name', autocomplete: 'name' }));
  const email = field('Email (optional)', h('input', { name: 'email', type: 'email', autocomplete: 'email' }));
  const error = formError();
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Create account');
  const form = h('form', { class: 'auth-form', 'aria-labelledby': 'signup-title', novalidate: true },
    h('h1', { id: 'signup-title' }, 'Create an account'),
    error, username.wrap, password.wrap, name.wrap, email.wrap, submit,
    h('p', { class: 'switch' }, 'Already have an account? ', h('a', { href: '#/login' }, 'Log in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(error, '');
    for (const f of [username, password, email]) setFieldError(f, '');
    submit.disabled = true;
    try {
      await api.post('/api/signup', {
        username: username.input.value,
        password: password.input.value,
        name: name.input.value,
        email: email.input.value,
      }, { auth: false });
      await logIn(ctx, username.input.value, password.input.value);
    } catch (err) {
      const m = err.message;
      if (/username/i.test(m)) setFieldError(username, m);
      else if (/password/i.test(m)) setFieldError(password, m);
      else if (/email/i.test(m)) setFieldError(email, m);
      else showError(error, m);
    } finally {
      submit.disabled = false;
    }
  });
  root.append(h('section', { class: 'auth panel' }, form));
  username.input.focus();
}
