// The admin page: hidden from other users, and where an admin sees every user's usage and
// changes their limits.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, ADMIN, api, launch, openPage, closePage, checkClean, newUser, logInUI, screenshot, uploadViaApi, bytesOf,
} from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('users who are not admins see no admin page', async () => {
  const { username } = await newUser('plain');
  const page = await openPage(browser);
  await logInUI(page, username);
  assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);
  await page.goto(`${BASE}/#/admin`);
  await page.getByText('Admin access required').waitFor();
  assert.equal(await page.locator('.admin-table').count(), 0);
  checkClean(page);
  await closePage(page);
});

test('an admin edits a user\'s limits', async () => {
  const target = await newUser('limited');
  await uploadViaApi(target.token, 'data.bin', bytesOf(300_000));
  const page = await openPage(browser);
  await logInUI(page, ADMIN.username, ADMIN.password);
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('heading', { name: 'Users and limits' }).waitFor();
  const row = page.locator('.admin-table tbody tr', { has: page.getByText(target.username, { exact: true }) });
  await row.waitFor();
  assert.equal(await row.locator('td').nth(1).textContent(), '1 of 20');
  assert.equal(await row.locator('td').nth(2).textContent(), '293 KiB of 8.0 MiB');
  assert.equal(await page.getByLabel(`Max files for ${target.username}`).inputValue(), '20');
  assert.equal(await page.getByLabel(`Max storage in MiB for ${target.username}`).inputValue(), '8');
  await screenshot(page, 'admin-1280');

  // A negative limit: the server's message on that row.
  await page.getByLabel(`Max files for ${target.username}`).fill('-1');
  await page.getByRole('button', { name: `Save limits of ${target.username}` }).click();
  await row.getByText('Max files cannot be negative').waitFor();

  await page.getByLabel(`Max files for ${target.username}`).fill('7');
  await page.getByLabel(`Max storage in MiB for ${target.username}`).fill('2.5');
  await page.getByRole('button', { name: `Save limits of ${target.username}` }).click();
  await page.getByText(`Limits of ${target.username} saved.`).waitFor();
  const updated = page.locator('.admin-table tbody tr', { has: page.getByText(target.username, { exact: true }) });
  await updated.locator('td', { hasText: '1 of 7' }).waitFor();
  assert.equal(await updated.locator('td').nth(2).textContent(), '293 KiB of 2.5 MiB');

  const limits = (await api('GET', '/api/user/limits', { token: target.token })).json;
  assert.deepEqual([limits.max_files, limits.max_storage, limits.current_files], [7, 2.5 * 1024 * 1024, 1]);
  checkClean(page);
  await closePage(page);
});
