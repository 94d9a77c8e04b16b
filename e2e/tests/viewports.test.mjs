// The main screens at 375 px (a phone) and 1280 px (a laptop): nothing scrolls sideways,
// the controls stay reachable, and the keyboard alone gets through a delete confirmation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, ADMIN, launch, openPage, closePage, checkClean, newUser, logInUI, screenshot, uploadViaApi,
  bytesOf, overflowsSideways, unlabelledControls, DESKTOP, PHONE,
} from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const FILES = [
  ['quarterly-report-2026-final-version.pdf', 600_000],
  ['holiday photo.jpg', 350_000],
  ['notes.txt', 1_200],
  ['archive.tar.gz', 900_000],
  ['README', 300],
];

for (const [label, viewport] of [['375', PHONE], ['1280', DESKTOP]]) {
  test(`main screens at ${label} px`, async () => {
    const { username, token } = await newUser(`view${label}`);
    for (const [name, size] of FILES) await uploadViaApi(token, name, bytesOf(size));
    const page = await openPage(browser, { viewport });

    await page.goto(`${BASE}/`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    assert.equal(await overflowsSideways(page), false, 'login scrolls sideways');
    assert.deepEqual(await unlabelledControls(page), []);
    if (label === '375') await screenshot(page, 'login-375');

    await logInUI(page, username);
    await page.locator('.legend tr[data-extension="gz"]').waitFor();
    await page.getByRole('switch', { name: `Public: ${FILES[1][0]}` }).check();
    await page.locator('.file-table tbody tr', { hasText: FILES[1][0] }).getByText('Public', { exact: true }).waitFor();
    assert.equal(await page.locator('.file-table tbody tr').count(), FILES.length);
    assert.equal(await overflowsSideways(page), false, 'files page scrolls sideways');
    for (const name of ['Choose files', `Delete ${FILES[0][0]}`, `Share links for ${FILES[0][0]}`]) {
      const box = await page.getByRole('button', { name }).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= viewport.width, `${name} is off screen: ${JSON.stringify(box)}`);
    }
    await screenshot(page, `files-${label}`);
    assert.deepEqual(await unlabelledControls(page), []);

    await page.getByRole('button', { name: `Share links for ${FILES[0][0]}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'New link' }).click();
  await dialog.getByLabel('Link name').fill('for the team');
    await dialog.getByLabel('Limit the number of downloads').check();
    await dialog.getByRole('button', { name: 'Create link' }).click();
    await dialog.locator('.link-item').waitFor();
    const dialogBox = await dialog.boundingBox();
    assert.ok(dialogBox.x >= 0 && dialogBox.x + dialogBox.width <= viewport.width, `dialog: ${JSON.stringify(dialogBox)}`);
    await screenshot(page, `links-dialog-${label}`, { fullPage: false });
    await dialog.getByRole('button', { name: 'Edit' }).click();
    assert.deepEqual(await unlabelledControls(page), []);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Keyboard only: focus the delete button, open the confirmation, cancel with Escape.
    await page.getByRole('button', { name: `Delete ${FILES[2][0]}` }).focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Delete file?' });
    await confirm.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await page.locator('.file-table tbody tr').count(), FILES.length);
    checkClean(page);
    await closePage(page);

    const admin = await openPage(browser, { viewport });
    await logInUI(admin, ADMIN.username, ADMIN.password);
    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.locator('.admin-table tbody tr').first().waitFor();
    assert.equal(await overflowsSideways(admin), false, 'admin page scrolls sideways');
    await screenshot(admin, `admin-${label}`);
    assert.deepEqual(await unlabelledControls(admin), []);
    checkClean(admin);
    await closePage(admin);
  });
}
