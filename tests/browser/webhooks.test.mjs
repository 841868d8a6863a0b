// Browser test of the admin console's Webhooks page (SPEC 11): the real binary on a free port with
// a fresh database and a webhook receiver in this process, driven in Debian's Chromium through
// playwright-core. Screenshots go to test-artifacts/screenshots/webhooks/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BINARY = process.env.IMPACTAPI_BIN
  || path.join(path.resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target'), 'debug', 'impactapi');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const SHOTS = path.join(ARTIFACTS, 'screenshots', 'webhooks');
const ADMIN_TOKEN = 'ia_admin_webhookbrowser0000000000000001';
const API_KEY = 'ia_sk_webhookbrowser00000000000000000000000001';

let tmp;
let server;
let base;
let receiver;
let receiverBase;
let context;
let page;
let shotNumber = 0;
const received = [];
/** Statuses the receiver answers per path, in order; 204 once spent. */
const script = { '/flaky': [500] };
const browserErrors = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(what, check, deadlineMs = 15_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function shot(name) {
  shotNumber += 1;
  await page.screenshot({ path: path.join(SHOTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function callApi(method, urlPath, body) {
  const init = { method, headers: { Authorization: `Bearer ${API_KEY}` } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${base}${urlPath}`, init);
  return { status: res.status, body: await res.json() };
}

function scenario(name, fn) {
  test(name, { timeout: 60_000 }, async () => {
    try {
      await fn();
    } catch (e) {
      await shot(`FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => {});
      throw e;
    }
  });
}

const byTestId = (id) => page.getByTestId(id);
const text = async (locator) => (await locator.textContent()).trim();

process.on('exit', () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

before(async () => {
  await rm(SHOTS, { recursive: true, force: true });
  await mkdir(SHOTS, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'impactapi-webhooks-browser-'));

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

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const logFile = createWriteStream(path.join(ARTIFACTS, 'webhooks-server.log'));
  server = spawn(BINARY, [
    '--db', path.join(tmp, 'w.db'),
    '--bind', `127.0.0.1:${port}`,
    '--admin-token', ADMIN_TOKEN,
    '--api-key', API_KEY,
    '--webhook-retry-schedule', '3600',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.pipe(logFile);
  server.stderr.pipe(logFile);
  await waitFor('the server', async () => {
    if (server.exitCode !== null) throw new Error(`impactapi exited with ${server.exitCode}`);
    try { return (await fetch(`${base}/healthz`)).ok; } catch (_) { return false; }
  }, 30_000);

  context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(10_000);
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => browserErrors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) browserErrors.push(m.text());
  });
}, { timeout: 120_000 });

after(async () => {
  if (context) await context.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    process.kill(server.pid, 'SIGTERM');
    await exited;
  }
  if (receiver) await new Promise((resolve) => receiver.close(resolve));
  if (tmp) await rm(tmp, { recursive: true, force: true });
  console.log(`screenshots: ${SHOTS}`);
});

scenario('the Webhooks page lists endpoints and a failed attempt with its request and response', async () => {
  const created = await callApi('POST', '/webhook_endpoints', { url: `${receiverBase}/flaky`, description: 'Shop backend' });
  assert.equal(created.status, 201);
  const endpoint = created.body.data;
  await callApi('POST', '/webhook_endpoints', { url: `${receiverBase}/quiet`, event_types: ['vendor.created'] });
  assert.equal((await callApi('POST', '/donation_intents', [{ amount: 1000, campaign_identifier: 'cleanhub' }])).status, 201);
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
