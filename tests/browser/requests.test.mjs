// Browser tests of the console's Requests page (developer sandbox, SPEC 12): the real binary on a
// free port with a fresh database, driven in Debian's Chromium through playwright-core, as
// console.test.mjs does. Screenshots go to test-artifacts/screenshots/requests-*.png.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ADMIN_TOKEN, API_KEY, axeViolations, callApi, firstPage, launchBrowser, screenshots, startServer, text,
} from './harness.mjs';

let server;
let base;
let context;
let page;
const browserErrors = [];

const { prepare, shot, scenario } = screenshots(() => page, { prefix: 'requests-' });
const api = (method, urlPath, opts) => callApi(base, method, urlPath, opts);
const byTestId = (id) => page.getByTestId(id);
const rows = () => page.locator('[data-testid=request-row]');

let secret;
let sessionId;

before(async () => {
  await prepare();
  server = await startServer({ name: 'requests-server' });
  base = server.base;

  // The traffic the page will show: a session (and a call with its secret), a customer, a 404,
  // and a 422.
  const created = await api('POST', '/sessions', {
    body: { type: 'add_on', amount: 750, available_campaigns: ['trees-for-the-future', 'cleanhub'] },
    headers: { 'Idempotency-Key': 'browser-create-1' },
  });
  assert.equal(created.status, 201);
  sessionId = created.body.data.id;
  secret = created.body.data.session_secret;
  const read = await api('GET', `/sessions/${sessionId}`, { token: null, headers: { 'X-Session-Secret': secret } });
  assert.equal(read.status, 200);
  assert.equal((await api('POST', '/customers', { body: { name: 'Grace Hopper', metadata: { api_key: 'meta-key-1' } } })).status, 201);
  assert.equal((await api('GET', '/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV')).status, 404);
  assert.equal((await api('POST', '/donation_intents', { body: [{ amount: 0, campaign_identifier: 'cleanhub' }] })).status, 422);

  context = await launchBrowser(server.tmp, { width: 1360, height: 900 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  page = await firstPage(context, browserErrors);
}, { timeout: 120_000 });

after(async () => {
  if (context) await context.close();
  if (server) await server.stop();
});

scenario('the Requests page lists the organization\'s API requests, newest first', async () => {
  await page.goto(`${base}/admin/`);
  await byTestId('token').fill(ADMIN_TOKEN);
  await byTestId('sign-in').click();
  await byTestId('panel-overview').waitFor();
  await byTestId('tab-requests').click();
  await byTestId('panel-requests').waitFor();
  await rows().nth(4).waitFor();
  assert.equal(await rows().count(), 5);
  assert.equal(await rows().first().getAttribute('data-path'), '/donation_intents');
  assert.equal(await rows().first().getAttribute('data-status'), '422');
  assert.equal(await rows().last().getAttribute('data-path'), '/sessions');
  assert.match(await text(byTestId('requests-pager')), /5 total/);
  // The console's own calls (/admin/api) are not API requests of an organization.
  assert.ok(!(await text(byTestId('request-table'))).includes('/admin/api'));
  await shot('list');
  assert.deepEqual(browserErrors, []);
});

scenario('filters: status class, path prefix and organization', async () => {
  await byTestId('requests-status').selectOption('4xx');
  await page.locator('[data-testid=request-row]').nth(1).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=request-row]').length === 2);
  for (const status of await rows().evaluateAll((els) => els.map((e) => e.dataset.status))) {
    assert.match(status, /^4\d\d$/);
  }
  await shot('filter-4xx');

  await byTestId('requests-status').selectOption('');
  await byTestId('requests-path').fill('/sessions');
  await byTestId('requests-path').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=request-row]').length === 2);
  for (const p of await rows().evaluateAll((els) => els.map((e) => e.dataset.path))) assert.ok(p.startsWith('/sessions'), p);
  await shot('filter-path');

  // Another organization's traffic shows under its own name only.
  const org = await api('POST', '/admin/api/organizations', { body: { name: 'Other Shop' }, token: ADMIN_TOKEN });
  assert.equal(org.status, 201);
  assert.equal((await api('GET', '/campaigns', { token: org.body.data.api_key })).status, 200);
  await byTestId('requests-path').fill('');
  await page.reload();
  await byTestId('panel-requests').waitFor();
  await rows().nth(5).waitFor();
  assert.equal(await rows().count(), 6);
  await byTestId('requests-org').selectOption({ label: 'Other Shop' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=request-row]').length === 1);
  assert.equal(await rows().first().getAttribute('data-path'), '/campaigns');
  await byTestId('requests-org').selectOption({ label: 'Sandbox' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=request-row]').length === 5);
  assert.deepEqual(browserErrors, []);
});

scenario('a request and its response side by side, secrets redacted', async () => {
  await page.locator('[data-testid=request-row][data-path="/sessions"]').click();
  await byTestId('request-detail').waitFor();
  const request = await text(byTestId('request-side'));
  const response = await text(byTestId('response-side'));
  assert.match(request, /authorization: \[redacted\]/);
  assert.match(request, /idempotency-key: browser-create-1/);
  assert.match(request, /"available_campaigns"/);
  assert.match(response, /"session_secret": "\[redacted\]"/);
  assert.match(response, new RegExp(`"id": "${sessionId}"`));
  const box = async (id) => byTestId(id).boundingBox();
  const [left, right] = [await box('request-side'), await box('response-side')];
  assert.ok(left.x + left.width <= right.x && Math.abs(left.y - right.y) < 2, 'request and response sit side by side');
  await shot('detail-session-create');
  assert.deepEqual(await axeViolations(page), [], 'axe on the list with a request open');

  // Neither the session secret nor the API key is anywhere on the page, whatever is opened
  // (this one from the keyboard).
  await page.locator(`[data-testid=request-row][data-path="/sessions/${sessionId}"] [data-testid=request-open]`).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=request-side-headers]').textContent.includes('x-session-secret'));
  assert.match(await text(byTestId('request-side-headers')), /x-session-secret: \[redacted\]/);
  const html = await page.content();
  assert.ok(!html.includes(secret), 'the session secret is on the page');
  assert.ok(!html.includes(API_KEY), 'the API key is on the page');
  await shot('detail-secret-call');
  assert.deepEqual(browserErrors, []);
});

scenario('copy as curl sends the same request again', async () => {
  await page.locator('[data-testid=request-row][data-path="/customers"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=curl]')?.textContent.includes('/customers'));
  const curl = await text(byTestId('curl'));
  assert.ok(curl.startsWith(`curl -X POST '${base}/customers'`), curl);
  assert.ok(curl.includes('"Authorization: Bearer $IMPACTAPI_API_KEY"'), curl);
  assert.ok(!curl.includes('meta-key-1'), curl);
  await byTestId('copy-curl').click();
  await byTestId('flash').waitFor();
  assert.match(await text(byTestId('flash')), /copied/);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), curl);
  await shot('copy-as-curl');

  // The copied command, run by a shell with the key in its environment, creates a customer.
  const { stdout } = await promisify(execFile)('bash', ['-c', `${curl} -s`], {
    env: { ...process.env, IMPACTAPI_API_KEY: API_KEY },
  });
  const made = JSON.parse(stdout);
  assert.equal(made.data.name, 'Grace Hopper');
  assert.deepEqual(made.data.metadata, { api_key: '[redacted]' });
  await byTestId('requests-refresh').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=request-row][data-path="/customers"]').length === 2);
  assert.deepEqual(browserErrors, []);
});
