// Shared pieces of the browser tests: the server under test (from the environment the Rust
// test sets), Chromium, pages that record anything suspicious, API shortcuts, screenshots.

import { chromium } from 'playwright-core';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';

export const BASE = process.env.DEFDRIVE_URL;
if (!BASE) throw new Error('DEFDRIVE_URL is not set: run the browser tests with `cargo test --test e2e`');
export const JWT_SECRET = process.env.DEFDRIVE_JWT_SECRET || '';
export const ADMIN = {
  username: process.env.DEFDRIVE_ADMIN_USERNAME || '',
  password: process.env.DEFDRIVE_ADMIN_PASSWORD || '',
};
export const PASSWORD = 'password123';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SCREENSHOTS || path.resolve('../target/e2e');

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 375, height: 780 };

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * A fresh page (its own context, so its own sessionStorage). Every JavaScript dialog
 * (alert, confirm) and page error and every console error (CSP violations are reported
 * there) is recorded in `page.problems`; `checkClean(page)` fails the test on any.
 */
export async function openPage(browser, { viewport = DESKTOP, timezoneId, acceptDownloads = true } = {}) {
  const context = await browser.newContext({ viewport, timezoneId, acceptDownloads, locale: 'en-GB' });
  const page = await context.newPage();
  page.problems = [];
  page.on('dialog', (d) => {
    page.problems.push(`JavaScript dialog (${d.type()}): ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // Refused requests the tests make on purpose show up as failed loads.
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    page.problems.push(`console error: ${text}`);
  });
  page.setDefaultTimeout(10_000);
  return page;
}

export function checkClean(page) {
  assert.deepEqual(page.problems, [], 'the page reported problems');
}

export async function closePage(page) {
  await page.context().close();
}

export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** JSON API call from Node (a plain HTTP client, no browser). */
export async function api(method, apiPath, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${BASE}${apiPath}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, json, text, headers: response.headers };
}

export async function signup(username) {
  const r = await api('POST', '/api/signup', { body: { username, password: PASSWORD, email: `${username}@example.com`, name: username } });
  assert.equal(r.status, 200, r.text);
}

export async function login(username, password = PASSWORD) {
  const r = await api('POST', '/api/login', { body: { username, password } });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}

/** Signs up a new user through the API; returns {username, token}. */
export async function newUser(prefix = 'user') {
  const username = unique(prefix);
  await signup(username);
  return { username, token: await login(username) };
}

export async function uploadViaApi(token, name, content) {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  const response = await fetch(`${BASE}/api/upload`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  const json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  return json.file;
}

/** Logs in through the login form and waits for the files page. */
export async function logInUI(page, username, password = PASSWORD) {
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Your files' }).waitFor();
}

/** An HS256 token signed with the server's secret, with the given claims. */
export function forgeToken(claims, secret = JWT_SECRET) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const sig = createHmac('sha256', secret).update(head).digest('base64url');
  return `${head}.${sig}`;
}

/** The claims of a token (no verification; for forging a variant of a real one). */
export function claims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

/** Saves a screenshot as target/e2e/<name>.png. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

/** Bytes of a given size with a recognisable pattern. */
export function bytesOf(size, seed = 1) {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

/** Whether the page scrolls sideways (it should not, at any width). */
export async function overflowsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

/** Form controls on the page with no label (none should have one missing). */
export async function unlabelledControls(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label')
      && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
    .map((el) => el.outerHTML.slice(0, 120)));
}
