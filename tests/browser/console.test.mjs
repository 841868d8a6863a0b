// Browser tests of the embedded admin console (/admin) and demo checkout (/demo): the real binary
// on a free port with a fresh database, driven in Debian's Chromium through playwright-core.
// Run from this folder with `node --test` (see `make test-browser`). Screenshots of every step go to
// test-artifacts/screenshots/ at the repository root.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_TOKEN, callApi, firstPage, launchBrowser, screenshots, startServer, text,
} from './harness.mjs';

let server;
let base;
let context;
let page;
const browserErrors = [];

// test-artifacts/screenshots/NN-name.png; other test files' screenshots are left alone.
const { dir: SHOTS, prepare, shot, scenario } = screenshots(() => page);
const api = (method, urlPath, opts) => callApi(base, method, urlPath, opts);
const byTestId = (id) => page.getByTestId(id);

before(async () => {
  await prepare({ clear: true });
  server = await startServer();
  base = server.base;
  context = await launchBrowser(server.tmp);
  page = await firstPage(context, browserErrors);
}, { timeout: 120_000 });

after(async () => {
  if (context) await context.close();
  if (server) await server.stop();
  console.log(`screenshots: ${SHOTS}`);
});

scenario('sign in to the admin console with the admin token', async () => {
  await page.goto(`${base}/admin/`);
  await byTestId('sign-in-panel').waitFor();
  await shot('admin-sign-in');

  await byTestId('token').fill('not-the-token');
  await byTestId('sign-in').click();
  await byTestId('sign-in-error').waitFor();
  assert.match(await text(byTestId('sign-in-error')), /not accepted/);

  await byTestId('token').fill(ADMIN_TOKEN);
  await byTestId('sign-in').click();
  await byTestId('panel-overview').waitFor();
  await page.locator('[data-testid=chart-bar]').nth(29).waitFor({ state: 'attached' });
  assert.equal(await page.locator('[data-testid=chart-bar]').count(), 30);
  assert.match(await text(byTestId('impact')), /No impact yet/);
  await shot('admin-overview-empty');
  assert.deepEqual(browserErrors, []);
});

scenario('create an organization and API keys, each shown once, and revoke one', async () => {
  await byTestId('tab-organizations').click();
  await page.locator('[data-testid=org-row][data-name="Sandbox"]').waitFor();

  await byTestId('org-create').click();
  await byTestId('org-error').waitFor();
  assert.match(await text(byTestId('org-error')), /name is required/);

  await byTestId('org-name').fill('Acme Outdoor');
  await byTestId('org-create').click();
  await byTestId('new-key-panel').waitFor();
  const firstKey = await text(byTestId('new-key'));
  assert.match(firstKey, /^ia_sk_[A-Za-z0-9]{40}$/);
  assert.match(await text(byTestId('new-key-panel')), /Shown once/);
  await page.locator('[data-testid=org-row][data-name="Acme Outdoor"].selected').waitFor();
  await page.locator('[data-testid=key-row]').first().waitFor();
  assert.equal(await page.locator('[data-testid=key-row]').count(), 1);
  assert.equal(await page.locator('[data-testid=key-row]').first().getAttribute('data-prefix'), firstKey.slice(0, 12));
  await shot('admin-org-created-key-shown-once');

  // The key works, and once dismissed it is gone from the page for good.
  assert.equal((await api('GET', '/campaigns', { token: firstKey })).status, 200);
  await byTestId('new-key-dismiss').click();
  await byTestId('new-key-panel').waitFor({ state: 'hidden' });
  assert.ok(!(await page.content()).includes(firstKey));

  await byTestId('key-create').click();
  await byTestId('new-key-panel').waitFor();
  const secondKey = await text(byTestId('new-key'));
  assert.notEqual(secondKey, firstKey);
  await page.locator('[data-testid=key-row]').nth(1).waitFor();
  await shot('admin-second-key');

  const firstRow = page.locator('[data-testid=key-row]').first();
  await firstRow.getByTestId('key-revoke').click();
  await firstRow.getByTestId('key-revoke-confirm').click();
  await firstRow.getByText('revoked', { exact: true }).waitFor();
  assert.equal((await api('GET', '/campaigns', { token: firstKey })).body.error.code, 'auth.unauthorized');
  assert.equal((await api('GET', '/campaigns', { token: secondKey })).status, 200);
  await shot('admin-key-revoked');
  assert.deepEqual(browserErrors, []);
});

scenario('create, edit and deactivate a campaign', async () => {
  await byTestId('tab-campaigns').click();
  await page.locator('[data-testid=campaign-row][data-identifier="cleanhub"]').waitFor();

  await byTestId('campaign-new').click();
  await byTestId('campaign-save').click();
  await page.locator('[data-error-for="impact_metrics.0.key"]:not(:empty)').waitFor();
  assert.match(await text(page.locator('[data-error-for="identifier"]')), /required/);
  assert.match(await text(page.locator('[data-error-for="impact_metrics.0.impact_per_dollar"]')), /number/);
  await shot('admin-campaign-field-errors');

  await byTestId('campaign-identifier').fill('bees-for-good');
  await byTestId('campaign-name').fill('Bees for Good');
  await byTestId('campaign-description').fill('Beehives for small farms.');
  const metric = (i) => page.locator('[data-testid=metric-row]').nth(i);
  const fillMetric = async (i, values) => {
    for (const [field, value] of Object.entries(values)) await metric(i).getByTestId(`metric-${field}`).fill(value);
  };
  await fillMetric(0, {
    key: 'hives_built', name: 'Hives built', emoji: '🐝', icon: 'bee', impact_per_dollar: '0.5',
    unit_singular: 'hive', unit_plural: 'hives', verb_present: 'build', verb_past: 'built',
  });
  await byTestId('metric-add').click();
  await fillMetric(1, {
    key: 'flowers_planted', name: 'Flowers planted', impact_per_dollar: '20',
    unit_singular: 'flower', unit_plural: 'flowers', verb_present: 'plant', verb_past: 'planted',
  });
  await byTestId('campaign-save').click();
  const row = page.locator('[data-testid=campaign-row][data-identifier="bees-for-good"]');
  await row.waitFor();
  await byTestId('campaign-form').waitFor({ state: 'hidden' });
  assert.match(await text(row), /0\.5 hives built/);
  assert.match(await text(row), /20 flowers planted/);
  const publicList = (await api('GET', '/campaigns')).body.data.map((c) => c.identifier);
  assert.ok(publicList.includes('bees-for-good'));

  await row.getByTestId('campaign-edit').click();
  await byTestId('campaign-name').fill('Bees for Good Farms');
  await byTestId('campaign-save').click();
  await row.getByText('Bees for Good Farms').waitFor();
  await shot('admin-campaign-created');

  await row.getByTestId('campaign-deactivate').click();
  await page.locator('[data-testid=campaign-row][data-identifier="bees-for-good"][data-active="false"]').waitFor();
  assert.match(await text(row), /inactive/);
  const after = (await api('GET', '/campaigns')).body.data.map((c) => c.identifier);
  assert.ok(!after.includes('bees-for-good'));
  await shot('admin-campaign-deactivated');
  assert.deepEqual(browserErrors, []);
});

scenario('a session confirmed through the public API shows in sessions, intents and billing', async () => {
  const created = await api('POST', '/sessions', {
    body: { type: 'add_on', amount: 4200, available_campaigns: ['trees-for-the-future', 'cleanhub'] },
  });
  assert.equal(created.status, 201);
  const { id, session_secret: secret } = created.body.data;
  const chosen = await api('POST', `/sessions/${id}/choose_campaign`, {
    token: null, headers: { 'X-Session-Secret': secret }, body: { campaign_identifier: 'trees-for-the-future' },
  });
  assert.equal(chosen.status, 200);
  const confirmed = await api('POST', `/sessions/${id}/confirm`, { body: {} });
  assert.equal(confirmed.status, 200);
  const intent = confirmed.body.data.donation_intents[0];
  const month = intent.created_at.slice(0, 7);

  await byTestId('tab-sessions').click();
  await byTestId('sessions-status').selectOption('confirmed');
  const sessionRow = page.locator(`[data-testid=session-row][data-id="${id}"]`);
  await sessionRow.waitFor();
  assert.equal(await sessionRow.getAttribute('data-status'), 'confirmed');
  assert.match(await text(sessionRow), /\$42\.00/);
  assert.match(await text(sessionRow), /trees-for-the-future/);
  await shot('admin-sessions-confirmed');
  await byTestId('sessions-status').selectOption('active');
  await sessionRow.waitFor({ state: 'detached' });

  await byTestId('tab-intents').click();
  await byTestId('intents-org').selectOption({ label: 'Sandbox' });
  const intentRow = page.locator(`[data-testid=intent-row][data-id="${intent.id}"]`);
  await intentRow.waitFor();
  assert.equal(await intentRow.getAttribute('data-session'), id);
  assert.match(await text(intentRow), /\$42\.00/);
  assert.match(await text(intentRow), /168 trees planted/);
  await byTestId('intents-org').selectOption({ label: 'Acme Outdoor' });
  await intentRow.waitFor({ state: 'detached' });
  await page.locator('[data-testid=intent-table] [data-testid=empty]').waitFor();
  await byTestId('intents-org').selectOption({ label: 'Sandbox' });
  await intentRow.waitFor();
  await shot('admin-intents');

  await byTestId('tab-billing').click();
  await byTestId('billing-org').selectOption({ label: 'Sandbox' });
  await byTestId('billing-month').fill(month);
  const billingRow = page.locator(`[data-testid=billing-row][data-month="${month}"]`);
  await billingRow.waitFor();
  assert.equal(await page.locator('[data-testid=billing-row]').count(), 1);
  assert.equal(await text(billingRow.getByTestId('billing-amount')), '$42.00');
  await shot('admin-billing');

  await byTestId('tab-overview').click();
  const today = page.locator(`[data-testid=chart-bar][data-date="${intent.created_at.slice(0, 10)}"]`);
  await page.locator('[data-testid=impact-card][data-key="trees_planted"]').waitFor();
  assert.equal(await today.getAttribute('data-amount'), '4200');
  assert.match(await text(byTestId('impact')), /168 trees planted/);
  await shot('admin-overview-with-donation');
  assert.deepEqual(browserErrors, []);
});

scenario('the demo checkout runs end to end and its intent shows in the admin console', async () => {
  await page.goto(`${base}/demo/`);
  await page.locator('[data-testid=campaign-option][value="cleanhub"]').waitFor();
  const offered = await page.locator('[data-testid=campaign-option]').evaluateAll((els) => els.map((e) => e.value));
  assert.ok(!offered.includes('bees-for-good'), 'a deactivated campaign is not offered');
  await byTestId('amount').fill('12.50');
  await page.locator('[data-testid=campaign-option][value="cleanhub"]').check();
  await page.locator('[data-testid=campaign-option][value="trees-for-the-future"]').check();
  await shot('demo-start');

  await byTestId('create-session').click();
  // The customer step is the widget, embedded through /widget/sdk.js.
  const widget = page.frameLocator('[data-testid=widget] iframe');
  const cleanhub = widget.locator('[data-testid=campaign-card][data-slug="cleanhub"]');
  await cleanhub.waitFor();
  assert.equal(await text(cleanhub.getByTestId('impact-text')), '12.5 kg of plastic collected');
  const trees = widget.locator('[data-testid=campaign-card][data-slug="trees-for-the-future"]');
  assert.equal(await text(trees.getByTestId('impact-text')), '50 trees planted');
  await shot('demo-campaign-cards');

  await cleanhub.click();
  await widget.locator('[data-testid=campaign-card][data-slug="cleanhub"] input:checked').waitFor({ state: 'attached' });
  await byTestId('choice').getByText(/CleanHub/).waitFor();
  await byTestId('process').click();
  await byTestId('status').getByText('processing').waitFor();
  await byTestId('confirm').click();
  await byTestId('step-done').waitFor();
  assert.match(await text(byTestId('done-summary')), /1 donation intent created for \$12\.50/);
  const intentId = await text(byTestId('intent-id'));
  assert.match(intentId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  // campaigns, create, the widget's ready and allocations-updated, process, confirm
  assert.equal(await page.locator('[data-testid=log-entry]').count(), 6);
  await shot('demo-confirmed');

  await page.goto(`${base}/admin/#intents`);
  const row = page.locator(`[data-testid=intent-row][data-id="${intentId}"]`);
  await row.waitFor();
  assert.match(await text(row), /\$12\.50/);
  assert.match(await text(row), /12\.5 kg of plastic collected/);
  await shot('admin-intents-after-demo');
  assert.deepEqual(browserErrors, []);
});
