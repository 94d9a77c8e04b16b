// Files: two uploads with their progress bars, the usage bars and the chart following
// them, search, sort, the public switch, download, a duplicate name refused per file, and
// deletion with confirmation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, api, launch, openPage, closePage, checkClean, newUser, logInUI, screenshot, bytesOf,
} from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const ALPHA = bytesOf(1_500_000, 7); // 1.4 MiB
const BETA = bytesOf(2_600_000, 9); // 2.5 MiB

async function usage(page) {
  return {
    storage: await page.locator('[aria-labelledby="usage-storage"]').getAttribute('aria-valuenow'),
    storageText: await page.locator('.usage-item').nth(0).locator('.usage-text').textContent(),
    files: await page.locator('[aria-labelledby="usage-files"]').getAttribute('aria-valuenow'),
  };
}

async function rowNames(page) {
  return page.locator('.file-table tbody .file-name').allTextContents();
}

test('upload two files, watch them finish, and manage them', async () => {
  const { username, token } = await newUser('files');
  const page = await openPage(browser);
  await logInUI(page, username);
  assert.deepEqual(await usage(page), { storage: '0', storageText: '0 B of 8.0 MiB', files: '0' });
  await page.getByText('Nothing stored yet.').waitFor();

  // Record every value the progress bars take (the value attribute reflects the property).
  await page.evaluate(() => {
    window.progressSeen = {};
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.target.tagName !== 'PROGRESS') continue;
        const name = r.target.getAttribute('aria-label');
        (window.progressSeen[name] ||= []).push(r.target.value);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
  });
  // A slow uplink (about 3 MiB/s), so the uploads take long enough to report progress.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 3 * 1024 * 1024,
  });

  await page.locator('#upload-input').setInputFiles([
    { name: 'alpha.txt', mimeType: 'text/plain', buffer: ALPHA },
    { name: 'beta.pdf', mimeType: 'application/pdf', buffer: BETA },
  ]);
  const items = page.locator('.upload-item');
  await page.locator('.upload-item.done').nth(1).waitFor();
  assert.equal(await items.count(), 2);
  for (const name of ['alpha.txt', 'beta.pdf']) {
    const item = items.filter({ hasText: name });
    assert.equal(await item.locator('progress').evaluate((p) => p.value), 100, name);
    assert.match(await item.locator('.upload-status').textContent(), /^Uploaded · [\d.]+ (B|KiB|MiB|GiB)\/s$/);
  }
  const seen = await page.evaluate(() => window.progressSeen);
  for (const name of ['alpha.txt', 'beta.pdf']) {
    const values = seen[`Upload progress of ${name}`];
    assert.ok(values && values.at(-1) === 100, `${name}: ${values}`);
    assert.ok(values.some((v) => v > 0 && v < 100), `${name} showed no progress on the way: ${values}`);
  }
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await screenshot(page, 'uploads-1280');

  // The table, the usage bars and the chart follow.
  await page.locator('.file-table tbody tr').nth(1).waitFor();
  await page.locator('.legend tr[data-extension="pdf"]').waitFor();
  const total = ALPHA.length + BETA.length;
  assert.deepEqual(await usage(page), { storage: String(total), storageText: '3.9 MiB of 8.0 MiB', files: '2' });
  assert.equal(await page.locator('.donut .slice').count(), 2);
  assert.equal(await page.locator('.legend tr[data-extension="pdf"] .count').textContent(), '1');
  assert.equal(await page.locator('.legend tr[data-extension="txt"] .count').textContent(), '1');
  assert.equal(await page.locator('.legend tr[data-extension="pdf"] td').nth(2).textContent(), '2.5 MiB');
  assert.equal(await page.locator('.donut-number').textContent(), '2');
  const alphaRow = page.locator('.file-table tbody tr', { hasText: 'alpha.txt' });
  assert.equal(await alphaRow.locator('td.size').textContent(), '1.4 MiB');
  assert.equal(await alphaRow.locator('td.type').textContent(), 'TXT');
  await screenshot(page, 'files-1280');

  // Sort and search.
  await page.getByLabel('Sort').selectOption({ label: 'Name Z–A' });
  assert.deepEqual(await rowNames(page), ['beta.pdf', 'alpha.txt']);
  await page.getByLabel('Sort').selectOption({ label: 'Smallest first' });
  assert.deepEqual(await rowNames(page), ['alpha.txt', 'beta.pdf']);
  await page.getByLabel('Sort').selectOption({ label: 'Largest first' });
  assert.deepEqual(await rowNames(page), ['beta.pdf', 'alpha.txt']);
  await page.getByLabel('Sort').selectOption({ label: 'Oldest first' });
  assert.deepEqual((await rowNames(page)).length, 2);
  await page.getByLabel('Search').fill('ALP');
  assert.deepEqual(await rowNames(page), ['alpha.txt']);
  await page.getByLabel('Search').fill('nothing-like-this');
  await page.getByText('No file name contains “nothing-like-this”.').waitFor();
  await page.getByLabel('Search').fill('');
  assert.equal((await rowNames(page)).length, 2);

  // The public switch.
  const toggle = page.getByRole('switch', { name: 'Public: alpha.txt' });
  assert.equal(await toggle.isChecked(), false);
  await toggle.check();
  await alphaRow.getByText('Public', { exact: true }).waitFor();
  let files = (await api('GET', '/api/files', { token })).json.files;
  assert.equal(files.find((f) => f.Name === 'alpha.txt').Public, true);
  await toggle.uncheck();
  await alphaRow.getByText('Private', { exact: true }).waitFor();
  files = (await api('GET', '/api/files', { token })).json.files;
  assert.equal(files.find((f) => f.Name === 'alpha.txt').Public, false);

  // Download the owner's copy.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download alpha.txt' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'alpha.txt');
  const chunks = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk);
  assert.ok(Buffer.concat(chunks).equals(ALPHA), 'downloaded bytes differ');

  // The same name again: the server's refusal is shown on that file only.
  await page.locator('#upload-input').setInputFiles([
    { name: 'alpha.txt', mimeType: 'text/plain', buffer: bytesOf(10) },
    { name: 'gamma.txt', mimeType: 'text/plain', buffer: bytesOf(10) },
  ]);
  const failed = page.locator('.upload-item.failed', { hasText: 'alpha.txt' });
  await failed.getByRole('alert').filter({ hasText: 'A file with this name already exists in your folder' }).waitFor();
  await page.locator('.upload-item.done', { hasText: 'gamma.txt' }).waitFor();
  await page.locator('.file-table tbody tr', { hasText: 'gamma.txt' }).waitFor();

  // Drag and drop onto the drop zone.
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(['dropped bytes'], 'dropped.md', { type: 'text/markdown' }));
    const zone = document.querySelector('.dropzone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
    }
  });
  await page.locator('.upload-item.done', { hasText: 'dropped.md' }).waitFor();
  await page.locator('.legend tr[data-extension="md"]').waitFor();
  await page.getByRole('button', { name: 'Delete dropped.md' }).click();
  await page.getByRole('dialog', { name: 'Delete file?' }).getByRole('button', { name: 'Delete' }).click();
  await page.locator('.file-table tbody tr', { hasText: 'dropped.md' }).waitFor({ state: 'detached' });

  // Delete, after a confirmation that can be cancelled.
  await page.getByRole('button', { name: 'Delete beta.pdf' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete file?' });
  await dialog.getByText('“beta.pdf” will be deleted').waitFor();
  await screenshot(page, 'delete-confirm-1280', { fullPage: false });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.locator('.file-table tbody tr', { hasText: 'beta.pdf' }).count(), 1);
  await page.getByRole('button', { name: 'Delete beta.pdf' }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await page.locator('.file-table tbody tr', { hasText: 'beta.pdf' }).waitFor({ state: 'detached' });
  await page.locator('.legend tr[data-extension="pdf"]').waitFor({ state: 'detached' });
  assert.deepEqual(await usage(page), { storage: String(ALPHA.length + 10), storageText: '1.4 MiB of 8.0 MiB', files: '2' });
  files = (await api('GET', '/api/files', { token })).json.files;
  assert.deepEqual(files.map((f) => f.Name).sort(), ['alpha.txt', 'gamma.txt']);
  checkClean(page);
  await closePage(page);
});

test('a server failure is shown, and the page recovers when asked to try again', async () => {
  const { username } = await newUser('failure');
  const page = await openPage(browser);
  await page.route('**/api/files', (route) => route.fulfill({
    status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'Failed to list files' }),
  }));
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Failed to list files' }).waitFor();
  await page.unroute('**/api/files');
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('heading', { name: 'Your files' }).waitFor();
  // The browser logs the refused request; nothing else may have gone wrong.
  page.problems = page.problems.filter((p) => !/status of 500/.test(p));
  checkClean(page);
  await closePage(page);
});
