// The app's entry point: routes (#/login, #/signup, #/files, #/admin), the navigation bar and
// what happens when the session ends.

import * as api from './api.js';
import * as session from './session.js';
import { h } from './dom.js';
import { renderLogin, renderSignup } from './views/auth.js';
import { renderFiles } from './views/files.js';
import { renderAdmin } from './views/admin.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const navAdmin = document.getElementById('nav-admin');
const whoami = document.getElementById('whoami');

/** A message for the next login form (session expired, logged out). */
let loginNotice = null;
/** Whether the current user may use the admin API; null until asked. */
let isAdmin = null;

function go(route) {
  if (location.hash === `#/${route}`) render();
  else location.hash = `#/${route}`;
}

function endSession(notice) {
  session.clear();
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  isAdmin = null;
  loginNotice = notice;
  go('login');
}

api.setUnauthorizedHandler(() => {
  endSession({ kind: 'warning', text: 'Your session has expired. Please log in again.' });
});

document.getElementById('logout').addEventListener('click', () => {
  endSession({ kind: 'info', text: 'You have logged out.' });
});

/** Asks the admin API once per session whether this user is an admin (403 when not). */
async function checkAdmin() {
  if (isAdmin !== null) return isAdmin;
  try {
    await api.get('/api/admin/users/limits');
    isAdmin = true;
  } catch (e) {
    if (e.status === 401) throw e;
    isAdmin = false;
  }
  return isAdmin;
}

function showNav(current, route) {
  nav.hidden = !current;
  if (!current) return;
  whoami.textContent = current.user.username;
  for (const link of nav.querySelectorAll('a[data-route]')) {
    if (link.dataset.route === route) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

const ctx = {
  go,
  loggedIn(token, user) {
    session.save(token, user);
    isAdmin = null;
    loginNotice = null;
    go('files');
  },
};

async function render() {
  const route = (location.hash.replace(/^#\/?/, '') || 'files').split('?')[0];
  let current = session.load();
  if (current && session.expired(current)) {
    endSession({ kind: 'warning', text: 'Your session has expired. Please log in again.' });
    return;
  }
  if (!current && route !== 'signup') {
    if (route !== 'login') {
      go('login');
      return;
    }
  }
  if (current && (route === 'login' || route === 'signup')) {
    go('files');
    return;
  }
  showNav(current, route);
  main.replaceChildren();
  if (!current) {
    if (route === 'signup') renderSignup(main, ctx);
    else renderLogin(main, ctx, loginNotice);
    loginNotice = null;
    return;
  }
  try {
    const admin = await checkAdmin();
    if (session.load() !== null) navAdmin.hidden = !admin;
    if (route === 'admin') {
      document.title = 'Admin · defdrive';
      await renderAdmin(main, ctx, admin);
    } else {
      document.title = 'Files · defdrive';
      await renderFiles(main, ctx);
    }
  } catch (e) {
    if (e.status === 401) return; // already back at the login form
    const retry = h('button', { type: 'button', class: 'button' }, 'Try again');
    retry.addEventListener('click', render);
    main.replaceChildren(h('section', { class: 'panel' },
      h('h1', {}, 'Something went wrong'),
      h('p', { class: 'notice error', role: 'alert' }, e.message || String(e)),
      retry));
  }
}

window.addEventListener('hashchange', render);
render();
