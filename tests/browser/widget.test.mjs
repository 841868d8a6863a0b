// Browser tests of the embeddable checkout widget (SPEC 10) in Debian's Chromium: host pages on
// another origin (http://localhost:<port>) than the server (http://127.0.0.1:<port>). One host
// speaks the raw message protocol, one runs the README's SDK snippet. Also axe-core on /widget,
// /demo and every /admin page. Screenshots go to test-artifacts/screenshots/widget/.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ADMIN_TOKEN, ROOT, axeViolations, callApi, firstPage, launchBrowser, screenshots, startHostServer, startServer,
} from './harness.mjs';

const STYLE_MODES = ['gradient', 'solid', 'light', 'dark'];
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let server;
let base;
let host;
let context;
let page;
const browserErrors = [];
const requests = []; // every request any page made: { url, method, frameUrl }

/** test-artifacts/screenshots/widget/name.png */
const { prepare, shot, scenario } = screenshots(() => page, { folder: 'widget', numbered: false });
const api = (method, urlPath, opts) => callApi(base, method, urlPath, opts);

async function createSession(body) {
  const created = await api('POST', '/sessions', { body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.data;
}

const addOn = (extra = {}) => createSession({
  type: 'add_on', amount: 1250, available_campaigns: ['cleanhub', 'trees-for-the-future'], ...extra,
});

// --- host pages -------------------------------------------------------------------------------

/** Speaks the raw protocol: records every message from the widget's origin with its arrival. */
const rawHost = () => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Raw protocol host</title></head>
<body><main><h1>Checkout (raw protocol)</h1><button id="before" type="button">Before the widget</button>
<div id="slot"></div></main>
<script>
  const SERVER = ${JSON.stringify(base)};
  window.messages = [];
  window.addEventListener('message', (e) => {
    if (e.origin !== SERVER) return;
    window.messages.push({ origin: e.origin, data: e.data, at: performance.now() });
    const frame = document.querySelector('iframe[name=w]');
    if (frame && e.data && e.data.type === 'resize') frame.style.height = e.data.payload.height + 'px';
  });
  window.openWidget = (query) => new Promise((resolve) => {
    document.getElementById('slot').replaceChildren();
    window.messages = [];
    const f = document.createElement('iframe');
    f.name = 'w';
    f.title = 'Donation choice';
    f.style.cssText = 'width:100%;border:0;height:150px;display:block';
    f.src = SERVER + '/widget?' + new URLSearchParams(query);
    f.addEventListener('load', () => resolve(), { once: true });
    document.getElementById('slot').append(f);
  });
  window.send = (msg) => {
    window.sentAt = performance.now();
    document.querySelector('iframe[name=w]').contentWindow.postMessage(msg, SERVER);
  };
  // A frame of the host's own origin that is not the widget's parent.
  window.sendFromSibling = (msg) => new Promise((resolve) => {
    const s = document.createElement('iframe');
    s.title = 'sibling';
    s.srcdoc = '<script>parent.frames.w.postMessage(' + JSON.stringify(msg) + ', "*")<\\/script>';
    s.addEventListener('load', () => resolve(), { once: true });
    document.body.append(s);
  });
</script></body></html>`;

/** The README's snippet, with this server and a real session put in. */
let readmeSnippet;
const sdkHost = (req) => {
  const q = new URL(req.url, 'http://host').searchParams;
  // Without a session, only the SDK (for tests that create their own widgets).
  const snippet = !q.get('sessionId') ? '' : readmeSnippet
    .replaceAll('http://127.0.0.1:8080', base)
    .replace('SESSION_ID', q.get('sessionId'))
    .replace('SESSION_SECRET', q.get('secret'))
    .replace("styleMode: 'light'", `styleMode: '${q.get('styleMode') || 'light'}'`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SDK host</title></head>
<body style="margin:0"><main><h1 style="font:600 18px sans-serif;margin:8px">Checkout</h1>
<div id="other"></div>
${snippet}
<script type="module">
  window.sdk = await import(${JSON.stringify(`${base}/widget/sdk.js`)});
  window.changes = [];
  document.addEventListener('donation-changed', (e) => window.changes.push(e.detail));
</script></main></body></html>`;
};

const emptyHost = () => '<!doctype html><html lang="en"><head><title>Empty</title></head><body><main><h1>Checkout</h1><div id="slot"></div></main></body></html>';

// --- helpers ----------------------------------------------------------------------------------

const widgetFrame = () => page.frames().find((f) => f.url().startsWith(`${base}/widget`));

/** The `n`-th message (0-based) of `type` the raw host received, waiting for it. */
async function message(type, n = 0) {
  await page.waitForFunction(([t, i]) => window.messages.filter((m) => m.data && m.data.type === t).length > i, [type, n]);
  return page.evaluate(([t, i]) => window.messages.filter((m) => m.data.type === t)[i], [type, n]);
}

const count = (type) => page.evaluate((t) => window.messages.filter((m) => m.data && m.data.type === t).length, type);

/** Every message so far has the envelope and came from the server's origin. */
async function assertEnvelopes(sessionId) {
  const all = await page.evaluate(() => window.messages);
  assert.ok(all.length > 0);
  for (const m of all) {
    assert.equal(m.origin, base);
    assert.equal(typeof m.data.type, 'string', JSON.stringify(m.data));
    assert.equal(typeof m.data.timestamp, 'number', JSON.stringify(m.data));
    assert.ok(Math.abs(m.data.timestamp - Date.now()) < 60_000, 'timestamp is ms since the epoch');
    assert.equal(typeof m.data.sessionId, 'string', JSON.stringify(m.data));
    if (sessionId) assert.equal(m.data.sessionId, sessionId, JSON.stringify(m.data));
    assert.ok('payload' in m.data, JSON.stringify(m.data));
  }
  return all;
}

async function openRaw(sessionId, styleMode = 'light') {
  if (!page.url().startsWith(`${host.origin}/raw.html`)) await page.goto(`${host.origin}/raw.html`);
  await page.evaluate((q) => window.openWidget(q), { sessionId, styleMode });
}

async function assertAccessible(where, frame = widgetFrame()) {
  const violations = await axeViolations(frame);
  assert.deepEqual(violations, [], `axe on ${where}`);
}

/** axe in the widget's current state, in each of the four style modes (the mode is the
 * `data-style` the server put on <html>; the page's CSS keys on nothing else). */
async function assertAccessibleInEveryMode(where) {
  const frame = widgetFrame();
  const original = await frame.evaluate(() => document.documentElement.dataset.style);
  // Without transitions, so that axe reads each mode's colours rather than a blend on the way.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  try {
    for (const mode of STYLE_MODES) {
      await frame.evaluate((m) => { document.documentElement.dataset.style = m; }, mode);
      await assertAccessible(`${where} (${mode})`, frame);
    }
  } finally {
    await page.emulateMedia({ reducedMotion: null });
  }
  await frame.evaluate((m) => { document.documentElement.dataset.style = m; }, original);
}

/** Requests made from the widget's frame, each of which must go to the server. */
function widgetRequests() {
  return requests.filter((r) => r.frameUrl.startsWith(`${base}/widget`));
}

// --- setup ------------------------------------------------------------------------------------

before(async () => {
  await prepare({ clear: true });
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Embedding the widget'));
  readmeSnippet = section.slice(section.indexOf('```html') + 7, section.indexOf('```', section.indexOf('```html') + 7));
  assert.match(readmeSnippet, /createWidget/);
  server = await startServer({ name: 'widget-server', extraArgs: ['--time-travel'] });
  base = server.base;
  host = await startHostServer({ '/raw.html': rawHost, '/sdk.html': sdkHost, '/empty.html': emptyHost });
  context = await launchBrowser(server.tmp);
  page = await firstPage(context, browserErrors);
  page.on('request', (r) => {
    let frameUrl = '';
    try { frameUrl = r.frame().url(); } catch (_) { /* a service worker request */ }
    requests.push({ url: r.url(), method: r.method(), frameUrl });
  });
}, { timeout: 120_000 });

after(async () => {
  if (context) await context.close();
  if (host) await host.close();
  if (server) await server.stop();
});

// --- the raw protocol -------------------------------------------------------------------------

scenario('raw protocol: init, ready within 2 s, session-updated in camelCase, resize', async () => {
  const s = await addOn();
  await openRaw(s.id);
  await page.evaluate((secret) => window.send({ type: 'init', secret }), s.session_secret);
  const ready = await message('ready');
  const sentAt = await page.evaluate(() => window.sentAt);
  assert.ok(ready.at - sentAt < 2000, `ready after ${ready.at - sentAt} ms`);
  assert.deepEqual(ready.data.payload, { sessionId: s.id, version: '0.1.0', type: 'add_on' });
  const updated = (await message('session-updated')).data.payload;
  assert.equal(updated.id, s.id);
  assert.equal(updated.amount, 1250);
  assert.equal(updated.status, 'active');
  assert.equal(typeof updated.expiresAt, 'string');
  assert.deepEqual(updated.campaigns.map((c) => c.slug), ['cleanhub', 'trees-for-the-future']);
  assert.equal(updated.campaigns[1].impactMetrics[0].verbPast, 'planted');
  assert.deepEqual(updated.impact.map((i) => i.impactText), ['12.5 kg of plastic collected', '50 trees planted']);
  assert.equal(updated.selectedCampaign, null);
  assert.equal(updated.optedOut, false);
  const resize = (await message('resize', 0)).data.payload;
  assert.deepEqual(Object.keys(resize), ['height']);
  // After the render the last resize is the content's height, and the frame follows it.
  await page.waitForFunction(() => {
    const r = window.messages.filter((m) => m.data.type === 'resize').at(-1);
    return r && r.data.payload.height > 150;
  });
  const frame = widgetFrame();
  await frame.getByTestId('campaign-card').nth(1).waitFor();
  assert.equal(await frame.getByTestId('impact-text').nth(1).textContent(), '50 trees planted');
  await assertAccessibleInEveryMode('/widget active');
  const all = await assertEnvelopes(s.id);
  const lastHeight = all.filter((m) => m.data.type === 'resize').at(-1).data.payload.height;
  const mainHeight = await frame.evaluate(() => Math.ceil(document.getElementById('root').getBoundingClientRect().height));
  assert.equal(lastHeight, mainHeight);
  assert.deepEqual(browserErrors, []);
});

scenario('keyboard only: choose, change, opt out and choose again; the API GET agrees', async () => {
  const s = await addOn();
  await openRaw(s.id);
  await page.evaluate((secret) => window.send({ type: 'init', secret }), s.session_secret);
  await message('session-updated');
  const frame = widgetFrame();
  await frame.getByTestId('campaign-card').nth(1).waitFor();

  await page.focus('#before');
  await page.keyboard.press('Tab'); // into the frame: the radio group
  await page.keyboard.press('Space');
  const first = (await message('allocations-updated', 0)).data.payload;
  assert.deepEqual(first.allocations.map((a) => [a.campaignIdentifier, a.amount]), [['cleanhub', 1250]]);
  assert.equal(first.totalAmount, 1250);
  assert.equal(first.allocations[0].campaign.slug, 'cleanhub');
  // Focus is visible on the chosen card.
  const outline = await frame.evaluate(() => getComputedStyle(document.activeElement.closest('.card')).outlineStyle);
  assert.equal(outline, 'solid');

  await page.keyboard.press('ArrowRight');
  const second = (await message('allocations-updated', 1)).data.payload;
  assert.deepEqual(second.allocations.map((a) => a.campaignIdentifier), ['trees-for-the-future']);
  let read = (await api('GET', `/sessions/${s.id}`)).body.data;
  assert.equal(read.selected_campaign, 'trees-for-the-future');
  await shot('keyboard-chosen');

  await page.keyboard.press('Tab'); // the opt-out button
  await page.keyboard.press('Enter');
  const optedOut = (await message('allocations-updated', 2)).data.payload;
  assert.deepEqual(optedOut, { allocations: [], totalAmount: 0 });
  read = (await api('GET', `/sessions/${s.id}`)).body.data;
  assert.equal(read.opted_out, true);
  assert.deepEqual(read.allocations, []);
  await frame.locator('[data-testid=opt-out][aria-pressed=true]').waitFor();
  await assertAccessibleInEveryMode('/widget opted out');
  await shot('keyboard-opted-out');

  await page.keyboard.press('Shift+Tab'); // back into the group, none checked: its last radio
  await page.keyboard.press('Space');
  const again = (await message('allocations-updated', 3)).data.payload;
  assert.deepEqual(again.allocations.map((a) => a.campaignIdentifier), ['trees-for-the-future']);
  const updated = await page.evaluate(() => window.messages.filter((m) => m.data.type === 'session-updated').at(-1).data.payload);
  assert.equal(updated.selectedCampaign, 'trees-for-the-future');
  assert.equal(updated.optedOut, false);

  // The choice made in the widget is what the public API returns.
  read = (await api('GET', `/sessions/${s.id}`)).body.data;
  assert.equal(read.selected_campaign, 'trees-for-the-future');
  assert.equal(read.opted_out, false);
  assert.deepEqual(read.allocations, [{ campaign_identifier: 'trees-for-the-future', amount: 1250 }]);
  const confirmed = (await api('POST', `/sessions/${s.id}/confirm`, { body: {} })).body.data;
  assert.equal(confirmed.donation_intents[0].campaign_identifier, 'trees-for-the-future');
  assert.equal(confirmed.donation_intents[0].amount, 1250);
  await assertEnvelopes(s.id);
  assert.deepEqual(browserErrors, []);
});

scenario('refresh shows processing and confirmed; destroy answers destroyed', async () => {
  const s = await createSession({ type: 'portion_of_sales_choice', amount: 800, available_campaigns: ['community-meals', 'cleanhub'] });
  await openRaw(s.id, 'dark');
  await page.evaluate((secret) => window.send({ type: 'init', secret }), s.session_secret);
  assert.equal((await message('ready')).data.payload.type, 'portion_of_sales_choice');
  await message('session-updated');
  const frame = widgetFrame();
  await frame.getByTestId('campaign-card').first().click();
  await message('allocations-updated');

  await api('POST', `/sessions/${s.id}/process`, { body: {} });
  await page.evaluate(() => window.send({ type: 'refresh' }));
  const processing = (await message('session-updated', 2)).data.payload;
  assert.equal(processing.status, 'processing');
  assert.equal(processing.selectedCampaign, 'community-meals');
  await frame.locator('input[name=campaign][disabled]').first().waitFor({ state: 'attached' });
  assert.equal(await frame.locator('input[name=campaign]:not([disabled])').count(), 0);
  await assertAccessibleInEveryMode('/widget processing');

  await api('POST', `/sessions/${s.id}/confirm`, { body: {} });
  await page.evaluate(() => window.send({ type: 'refresh' }));
  const confirmed = (await message('session-updated', 3)).data.payload;
  assert.equal(confirmed.status, 'confirmed');
  await frame.getByTestId('thank-you').waitFor();
  assert.match(await frame.getByTestId('thank-you').textContent(), /80 meals served/);
  await assertAccessibleInEveryMode('/widget confirmed');
  await shot('confirmed-dark');

  await page.evaluate(() => window.send({ type: 'destroy' }));
  const destroyed = (await message('destroyed')).data.payload;
  assert.deepEqual(destroyed, { sessionId: s.id });
  await assertEnvelopes(s.id);
  assert.deepEqual(browserErrors, []);
});

scenario('wrong secret: UNAUTHORIZED and nothing of the session shown', async () => {
  const s = await addOn();
  await openRaw(s.id);
  await page.evaluate(() => window.send({ type: 'init', secret: 'not-the-secret' }));
  const error = (await message('error')).data.payload;
  assert.equal(error.code, 'UNAUTHORIZED');
  assert.equal(typeof error.message, 'string');
  const frame = widgetFrame();
  await frame.locator('[data-testid=error][data-code=UNAUTHORIZED]').waitFor();
  const shown = await frame.evaluate(() => document.body.textContent);
  assert.ok(!/CleanHub|Trees|12\.50|planted/.test(shown), shown);
  assert.equal(await count('ready'), 0);
  assert.equal(await count('session-updated'), 0);
  await assertAccessibleInEveryMode('/widget wrong secret');
  await assertEnvelopes(s.id);
});

scenario('expired by moving the clock: the page shows it and posts SESSION_EXPIRED', async () => {
  const s = await addOn({ expires_in: 15 });
  await openRaw(s.id, 'solid');
  await page.evaluate((secret) => window.send({ type: 'init', secret }), s.session_secret);
  await message('session-updated');
  const frame = widgetFrame();
  await frame.getByTestId('campaign-card').first().waitFor();
  const moved = await api('POST', '/admin/api/clock/advance', { token: ADMIN_TOKEN, body: { seconds: 16 * 60 } });
  assert.equal(moved.status, 200);
  // The customer chooses after the session ran out: the server refuses, the page shows why.
  await frame.getByTestId('campaign-card').first().click();
  const error = (await message('error')).data.payload;
  assert.equal(error.code, 'SESSION_EXPIRED');
  await frame.getByTestId('expired').waitFor();
  const expired = await page.evaluate(() => window.messages.filter((m) => m.data.type === 'session-updated').at(-1).data.payload);
  assert.equal(expired.status, 'expired');
  assert.equal(await count('allocations-updated'), 0);
  assert.equal((await api('GET', `/sessions/${s.id}`)).body.data.selected_campaign, null);
  await assertAccessibleInEveryMode('/widget expired');
  await shot('expired-solid');

  // Opened again later, an expired session says so at once.
  await openRaw(s.id, 'gradient');
  await page.evaluate((secret) => window.send({ type: 'init', secret }), s.session_secret);
  assert.equal((await message('error')).data.payload.code, 'SESSION_EXPIRED');
  await widgetFrame().getByTestId('expired').waitFor();
  await assertAccessible('/widget expired (gradient)');
  await assertEnvelopes(s.id);

  // Open with two seconds left by the server's (moved) clock: the page itself notices the end.
  const soon = await addOn({ expires_in: 15 });
  await api('POST', '/admin/api/clock/advance', { token: ADMIN_TOKEN, body: { seconds: 15 * 60 - 2 } });
  await openRaw(soon.id);
  await page.evaluate((secret) => window.send({ type: 'init', secret }), soon.session_secret);
  assert.equal((await message('session-updated')).data.payload.status, 'active');
  await widgetFrame().getByTestId('campaign-card').first().waitFor();
  const ended = await message('error');
  assert.equal(ended.data.payload.code, 'SESSION_EXPIRED');
  assert.equal((await message('session-updated', 1)).data.payload.status, 'expired');
  await widgetFrame().getByTestId('expired').waitFor();
  await assertEnvelopes(soon.id);
});

scenario('portion_of_sales: read-only allocations with any non-empty secret', async () => {
  const s = await createSession({
    type: 'portion_of_sales',
    allocations: [{ campaign_identifier: 'yellow-rooms', amount: 1500 }, { campaign_identifier: 'cleanhub', amount: 200 }],
  });
  assert.equal(s.session_secret, null);
  await openRaw(s.id, 'gradient');
  await page.evaluate(() => window.send({ type: 'init', secret: 'anything' }));
  assert.equal((await message('ready')).data.payload.type, 'portion_of_sales');
  const data = (await message('session-updated')).data.payload;
  assert.ok(!('amount' in data));
  assert.deepEqual(data.allocations.map((a) => [a.campaignIdentifier, a.amount]), [['yellow-rooms', 1500], ['cleanhub', 200]]);
  const frame = widgetFrame();
  await frame.getByTestId('allocation').nth(1).waitFor();
  assert.equal(await frame.locator('input').count(), 0);
  assert.match(await frame.getByTestId('allocations').textContent(), /3 safe nights provided/);
  assert.match(await frame.getByTestId('allocations').textContent(), /2 kg of plastic collected/);
  await assertAccessibleInEveryMode('/widget portion_of_sales');
  await shot('portion-of-sales-gradient');
  await assertEnvelopes(s.id);
});

scenario('only window.parent is heard; bad messages are INVALID_MESSAGE; API and network errors', async () => {
  const s = await addOn();
  await openRaw(s.id);
  await page.evaluate(() => window.sendFromSibling({ type: 'from-the-sibling' }));
  await page.evaluate(() => window.send({ type: 'from-the-parent' }));
  const error = (await message('error')).data.payload;
  assert.equal(error.code, 'INVALID_MESSAGE');
  assert.match(error.message, /from-the-parent/);
  assert.equal(await count('error'), 1, 'the sibling frame was not heard');
  await page.evaluate(() => window.send({ type: 'init' }));
  assert.equal((await message('error', 1)).data.payload.code, 'INVALID_MESSAGE');
  await page.evaluate(() => window.send('not an object'));
  assert.equal((await message('error', 2)).data.payload.code, 'INVALID_MESSAGE');
  await page.evaluate(() => window.send({ type: 'refresh' }));
  assert.equal((await message('error', 3)).data.payload.code, 'INVALID_MESSAGE');

  // An id that is no session: the API answers 404, the page reports API_ERROR.
  await openRaw('01ARZ3NDEKTSV4RRFFQ69G5FAV');
  await page.evaluate(() => window.send({ type: 'init', secret: 'x' }));
  assert.equal((await message('error')).data.payload.code, 'API_ERROR');
  await widgetFrame().locator('[data-testid=error][data-code=API_ERROR]').waitFor();
  await assertAccessibleInEveryMode('/widget API error');

  // The server cannot be reached from the page.
  await context.route('**/widget/api/sessions/**', (route) => route.abort('connectionrefused'));
  try {
    await openRaw(s.id);
    await page.evaluate((secret) => window.send({ type: 'init', secret }), s.session_secret);
    assert.equal((await message('error')).data.payload.code, 'NETWORK_ERROR');
    await widgetFrame().locator('[data-testid=error][data-code=NETWORK_ERROR]').waitFor();
    await assertAccessibleInEveryMode('/widget network error');
  } finally {
    await context.unroute('**/widget/api/sessions/**');
  }
  await assertEnvelopes();
});

// --- the SDK ----------------------------------------------------------------------------------

async function openSdk(s, styleMode = 'light', width = 800) {
  await page.setViewportSize({ width, height: 900 });
  const q = new URLSearchParams({ sessionId: s.id, secret: s.session_secret, styleMode });
  await page.goto(`${host.origin}/sdk.html?${q}`);
  await page.waitForFunction(() => window.donationWidget && window.donationWidget.isReady() && window.sdk);
  const frame = widgetFrame();
  await frame.getByTestId('campaign-card').first().waitFor();
  return frame;
}

scenario('the README snippet: four style modes, each accessible, with screenshots', async () => {
  const printed = [];
  for (const mode of STYLE_MODES) {
    const s = await addOn({ available_campaigns: ['trees-for-the-future', 'cleanhub', 'community-meals'] });
    const frame = await openSdk(s, mode);
    assert.equal(await frame.evaluate(() => document.documentElement.dataset.style), mode);
    await assertAccessible(`/widget active (${mode})`);
    await frame.getByTestId('campaign-card').first().click();
    await page.waitForFunction(() => window.changes.length === 1);
    await assertAccessible(`/widget chosen (${mode})`);
    // The SDK sized the iframe to the widget's content.
    const sizes = await page.evaluate(() => {
      const f = document.querySelector('iframe');
      return { frame: f.getBoundingClientRect().height };
    });
    const content = await frame.evaluate(() => Math.ceil(document.getElementById('root').getBoundingClientRect().height));
    assert.equal(Math.round(sizes.frame), content);
    printed.push(await shot(`style-${mode}`));
  }
  console.log(`widget style modes:\n${printed.map((p) => `  ${p}`).join('\n')}`);
  assert.deepEqual(browserErrors, []);
});

scenario('SDK: methods, events, refresh, remount after destroy, and nothing from other hosts', async () => {
  const s = await addOn();
  const before = requests.length;
  const frame = await openSdk(s);
  const got = await page.evaluate(() => {
    const w = window.donationWidget;
    return { id: w.getSessionId(), type: w.getType(), data: w.getSessionData(), allocations: w.getAllocations() };
  });
  assert.equal(got.id, s.id);
  assert.equal(got.type, 'add_on');
  assert.equal(got.data.amount, 1250);
  assert.deepEqual(got.allocations, []);

  await frame.getByTestId('campaign-card').nth(1).click();
  await page.waitForFunction(() => window.changes.length === 1);
  const change = await page.evaluate(() => window.changes[0]);
  assert.equal(change.totalAmount, 1250);
  assert.equal(change.allocations[0].campaignIdentifier, 'trees-for-the-future');
  assert.deepEqual(
    await page.evaluate(() => window.donationWidget.getAllocations().map((a) => a.campaignIdentifier)),
    ['trees-for-the-future'],
  );
  assert.equal((await api('GET', `/sessions/${s.id}`)).body.data.selected_campaign, 'trees-for-the-future');

  await api('POST', `/sessions/${s.id}/process`, { body: {} });
  const refreshed = await page.evaluate(() => window.donationWidget.refresh());
  assert.equal(refreshed.status, 'processing');
  const waited = await page.evaluate(async () => {
    const w = window.donationWidget;
    const p = w.waitFor('session-updated', { timeout: 5000 });
    w.refresh();
    return (await p).status;
  });
  assert.equal(waited, 'processing');

  // destroy, then mount again into another container.
  const remounted = await page.evaluate(async () => {
    const w = window.donationWidget;
    const events = [];
    w.on('destroyed', (p) => events.push(p));
    w.destroy();
    const gone = document.querySelectorAll('iframe').length;
    const id = await w.mount(document.getElementById('other'));
    return { events, gone, id, ready: w.isReady(), frames: document.querySelectorAll('#other iframe').length };
  });
  assert.equal(remounted.gone, 0);
  assert.equal(remounted.events.length, 1);
  assert.equal(remounted.events[0].sessionId, s.id);
  assert.equal(remounted.id, s.id);
  assert.equal(remounted.ready, true);
  assert.equal(remounted.frames, 1);

  // The host loaded the SDK from the server; the widget frame talked only to the server.
  const made = requests.slice(before);
  assert.ok(made.some((r) => r.url === `${base}/widget/sdk.js`));
  const fromWidget = made.filter((r) => r.frameUrl.startsWith(`${base}/widget`));
  assert.ok(fromWidget.length >= 4, JSON.stringify(fromWidget));
  for (const r of fromWidget) assert.equal(new URL(r.url).origin, base, r.url);
  for (const r of made) assert.ok([base, host.origin].includes(new URL(r.url).origin), r.url);
  assert.deepEqual(browserErrors, []);
});

scenario('SDK errors: INVALID_CONFIG, CONTAINER_NOT_FOUND, UNAUTHORIZED, MESSAGE_TIMEOUT', async () => {
  const s = await addOn();
  await page.goto(`${host.origin}/sdk.html?${new URLSearchParams({ sessionId: s.id, secret: s.session_secret })}`);
  await page.waitForFunction(() => window.sdk);
  const outcome = await page.evaluate(async ([id, serverBase, hostOrigin]) => {
    const { createWidget, createPreviewWidget, WidgetError, WidgetErrorCode } = window.sdk;
    const caught = (fn) => { try { fn(); return null; } catch (e) { return [e instanceof WidgetError, e.code]; } };
    const rejected = async (p) => p.then(() => null, (e) => [e instanceof WidgetError, e.code]);
    return {
      codes: WidgetErrorCode,
      noSecret: caught(() => createWidget({ sessionId: id })),
      noId: caught(() => createWidget({ secret: 'x' })),
      badStyle: caught(() => createWidget({ sessionId: id, secret: 'x', styleMode: 'neon' })),
      badPreview: caught(() => createPreviewWidget({ type: 'add_on', amount: 0, available_campaigns: ['cleanhub'] })),
      noContainer: await rejected(createWidget({ sessionId: id, secret: 'x' }).mount('#nowhere')),
      wrongSecret: await rejected(createWidget({ sessionId: id, secret: 'wrong' }).mount(document.getElementById('other'))),
      timeout: await rejected(createWidget({ sessionId: id, secret: 'x', widgetUrl: `${hostOrigin}/empty.html` }).mount(document.body)),
      server: serverBase,
    };
  }, [s.id, base, host.origin]);
  assert.equal(outcome.codes.INVALID_CONFIG, 'INVALID_CONFIG');
  assert.deepEqual(outcome.noSecret, [true, 'INVALID_CONFIG']);
  assert.deepEqual(outcome.noId, [true, 'INVALID_CONFIG']);
  assert.deepEqual(outcome.badStyle, [true, 'INVALID_CONFIG']);
  assert.deepEqual(outcome.badPreview, [true, 'INVALID_CONFIG']);
  assert.deepEqual(outcome.noContainer, [true, 'CONTAINER_NOT_FOUND']);
  assert.deepEqual(outcome.wrongSecret, [true, 'UNAUTHORIZED']);
  assert.deepEqual(outcome.timeout, [true, 'MESSAGE_TIMEOUT']);
});

scenario('preview mode renders from campaign data and makes no write request', async () => {
  await page.goto(`${host.origin}/sdk.html`);
  await page.waitForFunction(() => window.sdk);
  const before = requests.length;
  const result = await page.evaluate(async () => {
    document.querySelectorAll('iframe').forEach((f) => f.remove());
    const w = window.sdk.createPreviewWidget({ type: 'add_on', amount: 500, available_campaigns: ['community-meals', 'trees-for-the-future'] });
    const updated = [];
    w.on('session-updated', (d) => updated.push(d));
    const id = await w.mount('other');
    window.preview = w;
    return { id, type: w.getType(), updated };
  });
  assert.match(result.id, /^preview_[0-9a-f]+$/);
  assert.equal(result.type, 'add_on');
  const frame = widgetFrame();
  await frame.getByTestId('campaign-card').nth(1).waitFor();
  assert.match(await frame.getByTestId('campaigns').textContent(), /50 meals served/);
  assert.match(await frame.getByTestId('campaigns').textContent(), /20 trees planted/);
  await frame.getByTestId('campaign-card').first().click();
  const allocations = await page.evaluate(async () => (await window.preview.waitFor('allocations-updated', { timeout: 1000 }).catch(() => null))
    || window.preview.getAllocations());
  assert.equal((allocations.allocations || allocations)[0].campaignIdentifier, 'community-meals');
  await assertAccessibleInEveryMode('/widget preview');

  const pos = await page.evaluate(async () => {
    window.preview.destroy();
    const w = window.sdk.createPreviewWidget({ type: 'portion_of_sales', allocations: [{ campaign_identifier: 'cleanhub', amount: 300 }], styleMode: 'dark' });
    const id = await w.mount('other');
    return { id, data: w.getSessionData() || await w.waitFor('session-updated') };
  });
  assert.match(pos.id, /^preview_/);
  await widgetFrame().getByTestId('allocation').waitFor();
  assert.match(await widgetFrame().getByTestId('allocations').textContent(), /3 kg of plastic collected/);
  await assertAccessibleInEveryMode('/widget preview portion_of_sales');

  const made = requests.slice(before);
  assert.ok(made.some((r) => r.url.startsWith(`${base}/widget/api/campaigns?`)));
  const writes = made.filter((r) => r.method !== 'GET');
  assert.deepEqual(writes, [], 'preview writes nothing');
  for (const r of made) assert.ok([base, host.origin].includes(new URL(r.url).origin), r.url);
  assert.deepEqual(browserErrors, []);
});

scenario('320 px wide: no horizontal scrolling in the widget or the host', async () => {
  const s = await createSession({
    type: 'add_on', amount: 123456789, available_campaigns: ['plastic-fischer', 'trees-for-the-future', 'yellow-rooms'],
  });
  const frame = await openSdk(s, 'light', 320);
  const widths = await frame.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(widths.scroll <= widths.client, JSON.stringify(widths));
  const hostWidths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(hostWidths.scroll <= hostWidths.client, JSON.stringify(hostWidths));
  await assertAccessibleInEveryMode('/widget at 320 px');
  await shot('width-320');
  // Motion only for those who did not ask for less.
  const transition = () => frame.evaluate(() => getComputedStyle(document.querySelector('.card')).transitionDuration);
  await page.emulateMedia({ reducedMotion: 'no-preference' });
  assert.notEqual(await transition(), '0s');
  await page.emulateMedia({ reducedMotion: 'reduce' });
  assert.equal(await transition(), '0s');
  await page.emulateMedia({ reducedMotion: null });
  await page.setViewportSize({ width: 1280, height: 900 });
});

// --- accessibility of /demo and /admin --------------------------------------------------------

scenario('axe: no serious or critical violation on /demo and every /admin page', async () => {
  await page.goto(`${base}/demo/`);
  await page.locator('[data-testid=campaign-option]').first().waitFor();
  await assertAccessible('/demo start', page);
  await page.getByTestId('create-session').click();
  const demoWidget = page.frameLocator('iframe').getByTestId('campaign-card').first();
  await demoWidget.waitFor();
  await demoWidget.click();
  await page.getByTestId('process').waitFor();
  await assertAccessible('/demo with the widget', page);
  await assertAccessible('/demo widget frame', widgetFrame());

  await page.goto(`${base}/admin/`);
  await page.getByTestId('sign-in-panel').waitFor();
  await assertAccessible('/admin sign-in', page);
  await page.getByTestId('token').fill(ADMIN_TOKEN);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('panel-overview').waitFor();
  const tabs = await page.locator('[data-testid^=tab-]').evaluateAll((els) => els.map((e) => e.dataset.testid));
  assert.ok(tabs.length >= 5, tabs.join());
  for (const tab of tabs) {
    await page.getByTestId(tab).click();
    await page.getByTestId(`panel-${tab.slice(4)}`).waitFor();
    await page.waitForLoadState('networkidle');
    await assertAccessible(`/admin ${tab}`, page);
  }
});
