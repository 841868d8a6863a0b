// Browser test of the admin console's Webhooks page (SPEC 11): the real binary on a free port with
// a fresh database and a webhook receiver in this process, driven in Debian's Chromium through
// playwright-core. Screenshots go to test-artifacts/screenshots/webhooks/.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { promisify } from 'node:util';
import {
  ADMIN_TOKEN, callApi, firstPage, launchBrowser, screenshots, startServer, text,
} from './harness.mjs';

let server;
let base;
let receiver;
let receiverBase;
let context;
let page;
const received = [];
/** Statuses the receiver answers per path, in order; 204 once spent. */
const script = { '/flaky': [500] };
const browserErrors = [];

const { dir: SHOTS, prepare, shot, scenario } = screenshots(() => page, { folder: 'webhooks' });
const api = (method, urlPath, body) => callApi(base, method, urlPath, { body });
const byTestId = (id) => page.getByTestId(id);

async function waitFor(what, check, deadlineMs = 15_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  await prepare({ clear: true });

  receiver = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = (script[req.url] || []).shift() || 204;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 204 ? '' : `receiver says ${status}`);
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${receiver.address().port}`;

  server = await startServer({ name: 'webhooks-server', extraArgs: ['--webhook-retry-schedule', '3600'] });
  base = server.base;
  context = await launchBrowser(server.tmp);
  page = await firstPage(context, browserErrors);
}, { timeout: 120_000 });

after(async () => {
  if (context) await context.close();
  if (server) await server.stop();
  if (receiver) await new Promise((resolve) => receiver.close(resolve));
  console.log(`screenshots: ${SHOTS}`);
});

scenario('the Webhooks page lists endpoints and a failed attempt with its request and response', async () => {
  const created = await api('POST', '/webhook_endpoints', { url: `${receiverBase}/flaky`, description: 'Shop backend' });
  assert.equal(created.status, 201);
  const endpoint = created.body.data;
  await api('POST', '/webhook_endpoints', { url: `${receiverBase}/quiet`, event_types: ['vendor.created'] });
  assert.equal((await api('POST', '/donation_intents', [{ amount: 1000, campaign_identifier: 'cleanhub' }])).status, 201);
  await waitFor('the first attempt', () => received.some((r) => r.path === '/flaky'));

  await page.goto(`${base}/admin/#webhooks`);
  await byTestId('token').fill(ADMIN_TOKEN);
  await byTestId('sign-in').click();
  await byTestId('panel-webhooks').waitFor();
  await page.locator('[data-testid=webhook-endpoint-row]').nth(1).waitFor();
  assert.equal(await page.locator('[data-testid=webhook-endpoint-row]').count(), 2);
  const row = page.locator(`[data-testid=webhook-endpoint-row][data-id="${endpoint.id}"]`);
  assert.match(await text(row), /Shop backend/);
  assert.match(await text(row), /all events/);
  assert.match(await text(page.locator('[data-testid=webhook-endpoint-row]', { hasText: '/quiet' })), /vendor\.created/);
  assert.ok(!(await page.content()).includes(endpoint.secret), 'the secret is not on the page');
  await shot('webhooks-endpoints');

  await row.getByTestId('webhook-endpoint-open').click();
  const delivery = page.locator('[data-testid=webhook-delivery-row][data-event="donation_intent.created"]');
  await delivery.waitFor();
  await waitFor('the attempt to be recorded', async () => {
    await byTestId('webhook-deliveries-status').selectOption('pending');
    return (await text(delivery.getByTestId('webhook-attempt-count').first())) === '1';
  });
  await delivery.getByTestId('webhook-delivery-open').click();
  await byTestId('webhook-detail').waitFor();
  const attempt = page.locator('[data-testid=webhook-attempt]').first();
  assert.equal(await attempt.getAttribute('data-status-code'), '500');
  assert.match(await text(attempt.getByTestId('webhook-attempt-response')), /receiver says 500/);
  const headers = await text(attempt.getByTestId('webhook-attempt-headers'));
  const webhookId = received.find((r) => r.path === '/flaky').headers['webhook-id'];
  assert.match(headers, new RegExp(`webhook-id: ${webhookId}`));
  assert.match(headers, /webhook-signature: v1,/);
  assert.match(await text(byTestId('webhook-request')), /"type": "donation_intent.created"/);
  await shot('webhooks-failed-attempt');
  assert.deepEqual(browserErrors, []);
});

scenario('retry sends the same webhook-id again now, and the attempt shows the answer', async () => {
  const before = received.filter((r) => r.path === '/flaky').length;
  await byTestId('webhook-retry').click();
  await waitFor('the retried request', () => received.filter((r) => r.path === '/flaky').length > before);
  const ids = new Set(received.filter((r) => r.path === '/flaky').map((r) => r.headers['webhook-id']));
  assert.equal(ids.size, 1, 'a retry carries the same webhook-id');
  await byTestId('webhook-deliveries-status').selectOption('succeeded');
  const delivery = page.locator('[data-testid=webhook-delivery-row][data-status=succeeded]');
  await delivery.waitFor();
  await delivery.getByTestId('webhook-delivery-open').click();
  await page.locator('[data-testid=webhook-attempt]').nth(1).waitFor();
  assert.equal(await page.locator('[data-testid=webhook-attempt]').nth(1).getAttribute('data-status-code'), '204');
  await shot('webhooks-retried');
});

scenario('copy as curl gives a command that replays the delivery', async () => {
  await byTestId('webhook-curl').click();
  await byTestId('webhook-curl-text').waitFor();
  const command = await text(byTestId('webhook-curl-text'));
  assert.match(command, /^curl -X POST/);
  assert.match(command, /webhook-signature: v1,/);
  await shot('webhooks-copy-as-curl');
  const last = received.filter((r) => r.path === '/flaky').at(-1);
  const count = received.length;
  await promisify(execFile)('sh', ['-c', command]);
  await waitFor('the replayed request', () => received.length > count);
  const replayed = received.at(-1);
  assert.equal(replayed.path, '/flaky');
  assert.equal(replayed.headers['webhook-id'], last.headers['webhook-id']);
  assert.equal(replayed.headers['webhook-signature'], last.headers['webhook-signature']);
  assert.equal(replayed.body, last.body, 'the exact body that was signed');
});

scenario('send test event queues a webhook_endpoint.test delivery for that endpoint', async () => {
  await byTestId('webhook-deliveries-status').selectOption('');
  await byTestId('webhook-test').click();
  // The flash of the copy above may still show: wait for this one's text.
  await page.locator('[data-testid=flash]', { hasText: /Test event evt_/ }).waitFor();
  await page.locator('[data-testid=webhook-delivery-row][data-event="webhook_endpoint.test"]').waitFor();
  await waitFor('the test event', () => received.some((r) => r.path === '/flaky' && JSON.parse(r.body).type === 'webhook_endpoint.test'));
  assert.ok(!received.some((r) => r.path === '/quiet'), 'the other endpoint got nothing');
  await shot('webhooks-test-event');
  assert.deepEqual(browserErrors, []);
});
