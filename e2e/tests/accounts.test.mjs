// Accounts: sign up, log out, log in (and a wrong password), a taken username, and an
// expired or refused token sending the user back to the login form with a message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, PASSWORD, launch, openPage, closePage, checkClean, unique, newUser, logInUI,
  forgeToken, claims, screenshot, bytesOf,
} from '../lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('sign up, log out and log in again', async () => {
  const page = await openPage(browser);
  const username = unique('signup');
  await page.goto(`${BASE}/`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await screenshot(page, 'login-1280');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Name (optional)').fill('Sam Signup');
  await page.getByLabel('Email (optional)').fill(`${username}@example.com`);
  await screenshot(page, 'signup-1280');
  await page.getByRole('button', { name: 'Create account' }).click();

  await page.getByRole('heading', { name: 'Your files' }).waitFor();
  assert.equal(await page.locator('#whoami').textContent(), username);
  assert.match(await page.locator('.empty').first().textContent(), /No files yet/);
  const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('defdrive.session')));
  assert.equal(stored.user.username, username);
  assert.equal(claims(stored.token).username, username);

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(await page.getByRole('status').filter({ hasText: 'You have logged out.' }).count(), 1);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('defdrive.session')), null);

  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();

  // The keyboard alone: type, Tab to the password, Enter submits.
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Username').press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your files' }).waitFor();
  assert.equal(await page.locator('#whoami').textContent(), username);
  checkClean(page);
  await closePage(page);
});

test('a taken username and a short password are shown next to their fields', async () => {
  const { username } = await newUser('taken');
  const page = await openPage(browser);
  await page.goto(`${BASE}/#/signup`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const usernameField = page.locator('.field', { has: page.getByLabel('Username') });
  await usernameField.getByText('Username already taken').waitFor();

  await page.getByLabel('Username').fill(unique('fresh'));
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  const passwordField = page.locator('.field', { has: page.getByLabel('Password') });
  await passwordField.getByText('Password must be at least 8 characters').waitFor();
  checkClean(page);
  await closePage(page);
});

test('an expired token sends the user back to the login form with a message', async () => {
  const { username, token } = await newUser('expiry');
  const page = await openPage(browser);
  await logInUI(page, username);

  // The token expires while the page is open: the next request is refused (401).
  const expired = forgeToken({ ...claims(token), iat: 1_600_000_000, exp: 1_600_003_600 });
  await page.evaluate((t) => {
    const s = JSON.parse(sessionStorage.getItem('defdrive.session'));
    sessionStorage.setItem('defdrive.session', JSON.stringify({ ...s, token: t }));
  }, expired);
  await page.locator('#upload-input').setInputFiles({ name: 'late.txt', mimeType: 'text/plain', buffer: bytesOf(1000) });
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByText('Your session has expired. Please log in again.').waitFor();
  await screenshot(page, 'session-expired-1280');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('defdrive.session')), null);

  // Opening the app with an expired token in storage.
  await page.evaluate(({ t, u }) => {
    sessionStorage.setItem('defdrive.session', JSON.stringify({ token: t, user: { username: u } }));
  }, { t: expired, u: username });
  await page.reload();
  await page.getByText('Your session has expired. Please log in again.').waitFor();

  // A token the server refuses although it looks fine (signed with another secret).
  const foreign = forgeToken({ ...claims(token), exp: Math.floor(Date.now() / 1000) + 3600 }, 'another-secret-another-secret-another-secret');
  await page.evaluate(({ t, u }) => {
    sessionStorage.setItem('defdrive.session', JSON.stringify({ token: t, user: { username: u } }));
  }, { t: foreign, u: username });
  await page.reload();
  await page.getByText('Your session has expired. Please log in again.').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Your files' }).count(), 0);

  await logInUI(page, username);
  checkClean(page);
  await closePage(page);
});
