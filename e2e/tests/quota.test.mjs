// Quotas: the server's refusals, with their numbers, shown on the file that hit them.
// The server runs with an 8 MiB storage quota for new users.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN, api, launch, openPage, closePage, checkClean, newUser, login, logInUI, screenshot, bytesOf,
} from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const MAX_STORAGE = Number(process.env.DEFDRIVE_MAX_STORAGE || 8 * 1024 * 1024);

test('storage and file limits are shown with their numbers', async () => {
  const { username, token } = await newUser('quota');
  const page = await openPage(browser);
  await logInUI(page, username);
  const limits = (await api('GET', '/api/user/limits', { token })).json;
  assert.equal(limits.max_storage, MAX_STORAGE);

  // Bigger than the whole quota: refused, nothing stored; the next file still goes in.
  await page.locator('#upload-input').setInputFiles([
    { name: 'huge.bin', mimeType: 'application/octet-stream', buffer: bytesOf(MAX_STORAGE + 1024 * 1024) },
  ]);
  const huge = page.locator('.upload-item.failed', { hasText: 'huge.bin' });
  await huge.waitFor();
  assert.equal(await huge.locator('.upload-status').textContent(),
    'Storage limit exceeded: this file is 9.0 MiB, you use 0 B of 8.0 MiB (8.0 MiB free).');
  await page.locator('#upload-input').setInputFiles([
    { name: 'half.bin', mimeType: 'application/octet-stream', buffer: bytesOf(MAX_STORAGE / 2) },
  ]);
  await page.locator('.upload-item.done', { hasText: 'half.bin' }).waitFor();
  await page.locator('.file-table tbody tr', { hasText: 'half.bin' }).waitFor();
  await page.locator('#upload-input').setInputFiles([
    { name: 'too-much.bin', mimeType: 'application/octet-stream', buffer: bytesOf(MAX_STORAGE / 2 + 1) },
  ]);
  const tooMuch = page.locator('.upload-item.failed', { hasText: 'too-much.bin' });
  await tooMuch.getByRole('alert').waitFor();
  assert.equal(await tooMuch.locator('.upload-status').textContent(),
    'Storage limit exceeded: this file is 4,194,305 bytes, you use 4.0 MiB of 8.0 MiB (4,194,304 bytes free).');

  // An admin lowers the file limit to what the user has: the next upload is refused.
  const adminToken = await login(ADMIN.username, ADMIN.password);
  const users = (await api('GET', '/api/admin/users/limits', { token: adminToken })).json.users;
  const me = users.find((u) => u.username === username);
  const set = await api('PUT', `/api/admin/users/${me.user_id}/limits`, { token: adminToken, body: { max_files: 1 } });
  assert.equal(set.status, 200, set.text);
  await page.locator('#upload-input').setInputFiles([{ name: 'one-more.txt', mimeType: 'text/plain', buffer: bytesOf(10) }]);
  const oneMore = page.locator('.upload-item.failed', { hasText: 'one-more.txt' });
  await oneMore.getByRole('alert').waitFor();
  assert.equal(await oneMore.locator('.upload-status').textContent(), 'File limit exceeded: you have 1 of 1 files.');

  // The refusal refreshes the usage panel: the file bar is full.
  await page.locator('.usage-item.full', { hasText: '1 of 1 files' }).waitFor();
  await screenshot(page, 'quota-1280');
  const files = (await api('GET', '/api/files', { token })).json.files;
  assert.deepEqual(files.map((f) => f.Name), ['half.bin']);
  checkClean(page);
  await closePage(page);
});
