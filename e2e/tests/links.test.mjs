// Share links: a one-time link fetched twice by a plain HTTP client (200, then 403), the
// server's 400 messages next to their fields, expiry picked in local time and stored in UTC,
// editing and deleting a link.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, launch, openPage, closePage, checkClean, newUser, logInUI, screenshot, bytesOf, uploadViaApi,
} from '../lib.mjs';

/** A plain HTTP GET from Node, body read (so no connection is left open). */
async function fetchLink(url) {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

// Far from UTC, with a half-hour offset and no daylight saving time.
const TIMEZONE = 'Asia/Kolkata';

function linkItem(dialog, name) {
  // The inner locator is relative to each .link-item.
  return dialog.locator('.link-item', { has: dialog.page().locator('.link-name', { hasText: new RegExp(`^${name}$`) }) });
}

test('create, use, edit and delete share links', async () => {
  const { username, token } = await newUser('links');
  const content = bytesOf(40_000, 3);
  const file = await uploadViaApi(token, 'report.pdf', content);
  const page = await openPage(browser, { timezoneId: TIMEZONE });
  await logInUI(page, username);

  await page.getByRole('button', { name: 'Share links for report.pdf' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share links · report.pdf' });
  await dialog.getByText('No links yet.').waitFor();
  await dialog.getByText('This file is private').waitFor();
  await dialog.getByRole('button', { name: 'Make the file public' }).click();
  await dialog.getByText('This file is private').waitFor({ state: 'hidden' });
  assert.equal((await api('GET', '/api/files', { token })).json.files[0].Public, true);

  // A one-time link.
  await dialog.getByRole('button', { name: 'New link' }).click();
  assert.equal(await page.evaluate(() => document.activeElement.name), 'name');
  await dialog.getByLabel('Link name').fill('for the client');
  await dialog.getByLabel('One-time link (works for one download)').check();
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const once = linkItem(dialog, 'for the client');
  await once.waitFor();
  assert.equal(await once.locator('.badge').textContent(), 'Active');
  assert.match(await once.locator('.link-details').textContent(), /Never expires · One-time/);
  const url = await once.locator('input.link-url').inputValue();
  assert.match(url, /\/link\/[0-9a-f]{32}$/);
  await screenshot(page, 'links-1280', { fullPage: false });

  // A plain HTTP client: the first download works, the second is refused.
  const first = await fetchLink(url);
  assert.equal(first.status, 200);
  assert.ok(first.body.equals(content));
  const second = await fetchLink(url);
  assert.equal(second.status, 403);
  assert.deepEqual(JSON.parse(second.body), { error: 'Access link has already been used' });

  // The server's 400 messages appear next to the field they are about.
  await dialog.getByRole('button', { name: 'New link' }).click();
  await dialog.getByLabel('Link name').fill('bad rules');
  await dialog.getByLabel('Allowed IP addresses').fill('10.0.0.1, not-an-ip');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const ipsField = dialog.locator('.field', { has: page.getByLabel('Allowed IP addresses') });
  await ipsField.locator('.field-error').getByText('Invalid IP address: not-an-ip').waitFor();
  assert.equal(await dialog.getByLabel('Allowed IP addresses').getAttribute('aria-invalid'), 'true');
  await dialog.getByLabel('Allowed IP addresses').fill('');
  await dialog.getByLabel('Allowed subnets').fill('10.0.0.0/33');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const subnetsField = dialog.locator('.field', { has: page.getByLabel('Allowed subnets') });
  await subnetsField.locator('.field-error').getByText(/^Invalid subnet: 10\.0\.0\.0\/33/).waitFor();
  assert.equal(await ipsField.locator('.field-error').isVisible(), false);
  await dialog.getByLabel('Allowed subnets').fill('');
  await dialog.getByLabel('Limit the number of downloads').check();
  await dialog.getByLabel('Maximum downloads').fill('0');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  await dialog.locator('.field', { has: page.getByLabel('Maximum downloads') })
    .getByText('ttl must be at least 1 when enableTTL is true').waitFor();
  await screenshot(page, 'link-errors-1280', { fullPage: false });
  assert.equal((await api('GET', `/api/files/${file.ID}/access`, { token })).json.accesses.length, 1);

  // Expiry in local time (India, UTC+05:30), three downloads, an address allow-list.
  await dialog.getByLabel('Link name').fill('three times');
  await dialog.getByLabel('Expires').fill('2031-06-15T14:30');
  await dialog.getByLabel('Maximum downloads').fill('3');
  await dialog.getByLabel('Allowed IP addresses').fill('127.0.0.1 ::1');
  await dialog.getByLabel('Allowed subnets').fill('10.0.0.0/8');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const three = linkItem(dialog, 'three times');
  await three.waitFor();
  const details = await three.locator('.link-details').textContent();
  assert.match(details, /Expires 15 Jun 2031, 14:30 · 3 downloads left · IPs: 127\.0\.0\.1, ::1 · Subnets: 10\.0\.0\.0\/8/);
  let accesses = (await api('GET', `/api/files/${file.ID}/access`, { token })).json.accesses;
  let stored = accesses.find((a) => a.Name === 'three times');
  assert.equal(Date.parse(stored.Expires), Date.parse('2031-06-15T09:00:00Z'), stored.Expires);
  assert.deepEqual([stored.EnableTTL, stored.TTL, stored.OneTimeUse, stored.Public], [true, 3, false, true]);
  assert.deepEqual([stored.IPs, stored.Subnets], [['127.0.0.1', '::1'], ['10.0.0.0/8']]);
  const threeUrl = await three.locator('input.link-url').inputValue();
  assert.equal((await fetchLink(threeUrl)).status, 200);

  // The copy button puts the address on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await three.getByRole('button', { name: 'Copy link' }).click();
  await page.getByText('Link copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), threeUrl);

  // Reopening the dialog shows the one-time link as used.
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Share links for report.pdf' }).click();
  assert.equal(await linkItem(dialog, 'for the client').locator('.badge').textContent(), 'Used');
  assert.match(await linkItem(dialog, 'three times').locator('.link-details').textContent(), /2 downloads left/);

  // Edit: the form comes back filled in, in local time.
  await linkItem(dialog, 'three times').getByRole('button', { name: 'Edit' }).click();
  await dialog.getByRole('heading', { name: 'Edit “three times”' }).waitFor();
  assert.equal(await dialog.getByLabel('Expires').inputValue(), '2031-06-15T14:30');
  assert.equal(await dialog.getByLabel('Maximum downloads').inputValue(), '2');
  await dialog.getByLabel('Link name').fill('edited link');
  await dialog.getByLabel('Expires').fill('');
  await dialog.getByLabel('Maximum downloads').fill('5');
  await dialog.getByLabel('Allowed IP addresses').fill('');
  await dialog.getByLabel('Allowed subnets').fill('');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  const edited = linkItem(dialog, 'edited link');
  await edited.waitFor();
  assert.match(await edited.locator('.link-details').textContent(), /^Never expires · 5 downloads left$/);
  accesses = (await api('GET', `/api/files/${file.ID}/access`, { token })).json.accesses;
  stored = accesses.find((a) => a.ID === stored.ID);
  assert.deepEqual([stored.Name, stored.Expires, stored.TTL, stored.IPs, stored.Subnets], ['edited link', '', 5, [], []]);

  // An expiry in the past shows as expired, and the server refuses the link.
  await edited.getByRole('button', { name: 'Edit' }).click();
  await dialog.getByLabel('Expires').fill('2020-01-01T00:00');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await edited.locator('.badge', { hasText: 'Expired' }).waitFor();
  const expired = await fetchLink(threeUrl);
  assert.deepEqual([expired.status, JSON.parse(expired.body)], [403, { error: 'Access link has expired' }]);

  // Delete, with confirmation.
  await edited.getByRole('button', { name: 'Delete' }).click();
  const confirmDialog = page.getByRole('dialog', { name: 'Delete link?' });
  await confirmDialog.getByRole('button', { name: 'Delete' }).click();
  await edited.waitFor({ state: 'detached' });
  assert.equal((await fetchLink(threeUrl)).status, 404);
  accesses = (await api('GET', `/api/files/${file.ID}/access`, { token })).json.accesses;
  assert.deepEqual(accesses.map((a) => a.Name), ['for the client']);

  // Escape closes the dialog.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  checkClean(page);
  await closePage(page);
});
