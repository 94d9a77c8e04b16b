// Safety: names that look like HTML are shown literally and run nothing, and the app runs
// under its strict Content-Security-Policy without a single violation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, api, launch, openPage, closePage, checkClean, newUser, logInUI, screenshot,
} from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const XSS_NAME = '"><img src=x onerror=alert(1)>.svg';
const XSS_LINK = '<b>bold</b><img src=x onerror=alert(2)><script>alert(3)</script>';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(4)</script></svg>';

test('the UI is served with a strict Content-Security-Policy', async () => {
  const r = await api('GET', '/');
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  // No inline script or style anywhere in the page.
  assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(r.text, /\sstyle=|\son\w+=/);
});

test('a file and a link named like HTML appear literally and run nothing', async () => {
  const { username, token } = await newUser('xss');
  const page = await openPage(browser);
  await logInUI(page, username);
  await page.locator('#upload-input').setInputFiles({ name: XSS_NAME, mimeType: 'image/svg+xml', buffer: Buffer.from(SVG) });
  await page.locator('.upload-item.done').waitFor();
  const row = page.locator('.file-table tbody tr').first();
  await row.waitFor();
  assert.equal(await row.locator('.file-name').textContent(), XSS_NAME);
  assert.equal(await page.locator('.upload-item .upload-name').textContent(), XSS_NAME);
  const files = (await api('GET', '/api/files', { token })).json.files;
  assert.equal(files[0].Name, XSS_NAME);

  // The file's links, with a link whose name is markup.
  await page.getByRole('button', { name: `Share links for ${XSS_NAME}` }).click();
  const dialog = page.getByRole('dialog', { name: `Share links · ${XSS_NAME}` });
  await dialog.getByRole('button', { name: 'New link' }).click();
  await dialog.getByLabel('Link name').fill(XSS_LINK);
  await dialog.getByRole('button', { name: 'Create link' }).click();
  await dialog.locator('.link-item').waitFor();
  assert.equal(await dialog.locator('.link-name').textContent(), XSS_LINK);
  await screenshot(page, 'xss-links-1280', { fullPage: false });
  await dialog.getByRole('button', { name: 'Delete' }).click();
  const confirmDialog = page.getByRole('dialog', { name: 'Delete link?' });
  assert.match(await confirmDialog.textContent(), new RegExp(XSS_LINK.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await confirmDialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: `Delete ${XSS_NAME}` }).click();
  const confirmFile = page.getByRole('dialog', { name: 'Delete file?' });
  assert.ok((await confirmFile.textContent()).includes(`“${XSS_NAME}” will be deleted`));
  await confirmFile.getByRole('button', { name: 'Cancel' }).click();
  await page.getByLabel('Search').fill('<img');
  assert.equal(await page.locator('.file-table tbody tr').count(), 1);
  await screenshot(page, 'xss-1280');

  // Nothing was injected: the only images are the app's own, no script, no b element.
  const injected = await page.evaluate(() => ({
    images: [...document.images].map((i) => i.getAttribute('src')),
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    bold: document.querySelectorAll('b').length,
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
  }));
  assert.deepEqual(injected, { images: ['/assets/icon.svg'], scripts: ['/assets/js/main.js'], bold: 0, handlers: 0 });
  // No dialog opened (alert is recorded by openPage), no error, no CSP violation.
  checkClean(page);
  await closePage(page);
});

test('the app loads without Content-Security-Policy violations', async () => {
  const page = await openPage(browser);
  const violations = [];
  await page.exposeFunction('reportViolation', (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const { username } = await newUser('csp');
  await logInUI(page, username);
  await page.goto(`${BASE}/#/admin`);
  await page.getByText('Admin access required').waitFor();
  assert.deepEqual(violations, []);
  checkClean(page);
  await closePage(page);
});
