// Browser test of the console's reports (SPEC 13): the Overview's impact per campaign over time,
// stacked by campaign, and the Billing page's statement per campaign with its two CSV downloads.
// Intents are spread over three days with the sandbox clock (--time-travel). Screenshots go to
// test-artifacts/screenshots/reports-*.png.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  ADMIN_TOKEN, API_KEY, callApi, firstPage, launchBrowser, screenshots, startServer,
} from './harness.mjs';

const TRICKY = 'ext, "quoted"';

let server;
let context;
let page;
const browserErrors = [];
let intents;
let orgId;

/** test-artifacts/screenshots/reports-NN-name.png */
const { prepare, shot, scenario } = screenshots(() => page, { prefix: 'reports-', failedNameLength: 50 });

/** A call that must succeed; its JSON body. */
async function apiOk(method, urlPath, { body, token = API_KEY } = {}) {
  const res = await callApi(server.base, method, urlPath, { body, token });
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${urlPath}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const advanceDay = () => apiOk('POST', '/admin/api/clock/advance', { body: { seconds: 86_400 }, token: ADMIN_TOKEN });
const donate = (items) => apiOk('POST', '/donation_intents', { body: items.map(([campaign_identifier, amount]) => ({ campaign_identifier, amount })) });
const money = (cents) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(cents / 100);

before(async () => {
  await prepare();
  server = await startServer({ name: 'reports-server', extraArgs: ['--time-travel'] });
  context = await launchBrowser(server.tmp);
  page = await firstPage(context, browserErrors);

  // Three days of donations: direct ones, a customer's checkout, and one cancelled.
  const customer = (await apiOk('POST', '/customers', { body: { external_id: TRICKY } })).data.id;
  await donate([['trees-for-the-future', 1_000], ['cleanhub', 500]]);
  const session = (await apiOk('POST', '/sessions', {
    body: { type: 'add_on', amount: 300, available_campaigns: ['community-meals'], customer_id: customer },
  })).data;
  await apiOk('POST', `/sessions/${session.id}/choose_campaign`, { body: { campaign_identifier: 'community-meals' } });
  await apiOk('POST', `/sessions/${session.id}/confirm`, { body: {} });
  await advanceDay();
  const [, gone] = (await donate([['trees-for-the-future', 250], ['plastic-fischer', 800]])).data;
  await apiOk('PUT', `/donation_intents/${gone.id}/cancel`);
  await advanceDay();
  await donate([['community-meals', 200], ['cleanhub', 125]]);
  intents = (await apiOk('GET', '/donation_intents?per_page=100&sort_order=asc')).data;
  assert.equal(intents.length, 6);
  orgId = (await apiOk('GET', '/admin/api/organizations', { token: ADMIN_TOKEN })).data.find((o) => o.name === 'Sandbox').id;
}, { timeout: 120_000 });

after(async () => {
  if (context) await context.close();
  if (server) await server.stop();
});

scenario('the Overview charts each campaign per day, stacked, with its impact', async () => {
  await page.goto(`${server.base}/admin/`);
  await page.getByTestId('token').fill(ADMIN_TOKEN);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('panel-overview').waitFor();
  // One legend entry per campaign with intents (the cancelled plastic-fischer one has none).
  const names = [...new Set(intents.map((i) => i.campaign_identifier))].sort();
  assert.deepEqual(names, ['cleanhub', 'community-meals', 'trees-for-the-future']);
  const legend = page.getByTestId('legend-item');
  await legend.nth(names.length - 1).waitFor();
  assert.deepEqual(await legend.evaluateAll((items) => items.map((li) => li.dataset.campaign)), names);

  // A segment per campaign and day with intents, with that day's amount.
  const pairs = new Map();
  for (const i of intents) {
    const key = `${i.created_at.slice(0, 10)} ${i.campaign_identifier}`;
    pairs.set(key, (pairs.get(key) || 0) + i.amount);
  }
  const segments = page.getByTestId('chart-segment');
  assert.equal(await segments.count(), pairs.size);
  for (const [key, amount] of pairs) {
    const [date, campaign] = key.split(' ');
    const segment = page.locator(`[data-testid=chart-segment][data-date="${date}"][data-campaign="${campaign}"]`);
    assert.equal(await segment.getAttribute('data-amount'), String(amount));
  }
  // Segments of one day are stacked: each starts where the one below ends.
  const day = intents[0].created_at.slice(0, 10);
  const boxes = await page.locator(`[data-testid=chart-segment][data-date="${day}"]`).evaluateAll(
    (rects) => rects.map((r) => ({ x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')), h: Number(r.getAttribute('height')) })),
  );
  assert.equal(boxes.length, 3);
  for (let k = 1; k < boxes.length; k += 1) {
    assert.equal(boxes[k].x, boxes[0].x);
    assert.ok(Math.abs(boxes[k].y + boxes[k].h - boxes[k - 1].y) < 0.2, JSON.stringify(boxes));
  }
  const trees = page.locator('[data-testid=legend-item][data-campaign="trees-for-the-future"]');
  assert.match(await trees.textContent(), /Trees for the Future\s*\$12\.50\s*🌳 50 trees planted/);
  const meals = page.locator('[data-testid=legend-item][data-campaign="community-meals"]');
  assert.match(await meals.textContent(), /\$5\.00.*50 meals served/);
  await shot('overview-impact-per-campaign');
  assert.deepEqual(browserErrors, []);
});

scenario('the Billing page shows the statement per campaign and downloads both CSV files', async () => {
  const month = intents[0].created_at.slice(0, 7);
  const inMonth = intents.filter((i) => i.created_at.startsWith(month));
  const perCampaign = new Map();
  for (const i of inMonth) {
    const c = perCampaign.get(i.campaign_identifier) || { amount: 0, count: 0 };
    perCampaign.set(i.campaign_identifier, { amount: c.amount + i.amount, count: c.count + 1 });
  }

  await page.getByTestId('tab-billing').click();
  await page.getByTestId('billing-org').selectOption({ label: 'Sandbox' });
  await page.getByTestId('statement-month').fill(month);
  await page.getByTestId('statement-month').dispatchEvent('change');
  await page.getByTestId('statement-scope').filter({ hasText: `${month} · Sandbox` }).waitFor();
  const rows = page.getByTestId('statement-row');
  await rows.nth(perCampaign.size - 1).waitFor();
  assert.equal(await rows.count(), perCampaign.size);
  const campaigns = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.campaign));
  assert.deepEqual(campaigns, [...perCampaign.keys()].sort());
  for (const [campaign, { amount }] of perCampaign) {
    const row = page.locator(`[data-testid=statement-row][data-campaign="${campaign}"]`);
    assert.equal((await row.getByTestId('statement-amount').textContent()).trim(), money(amount));
  }
  const total = inMonth.reduce((n, i) => n + i.amount, 0);
  assert.match(await page.getByTestId('statement-total').textContent(), new RegExp(`Total${inMonth.length}\\${money(total)}`));
  if (perCampaign.has('cleanhub')) {
    const cleanhub = page.locator('[data-testid=statement-row][data-campaign="cleanhub"]');
    assert.match(await cleanhub.textContent(), /kg of plastic collected/);
  }
  await shot('billing-statement-per-campaign');

  const [statement] = await Promise.all([page.waitForEvent('download'), page.getByTestId('statement-download').click()]);
  assert.equal(statement.suggestedFilename(), `statement_${month}_${orgId}.csv`);
  const statementCsv = (await readFile(await statement.path(), 'utf8')).split('\r\n');
  assert.equal(statementCsv[0], 'month,organization_id,organization_name,campaign_identifier,name,currency,amount,donation_count,impact');
  assert.equal(statementCsv.filter((l) => l.startsWith(`${month},${orgId},Sandbox,`)).length, perCampaign.size);

  const [export_] = await Promise.all([page.waitForEvent('download'), page.getByTestId('intents-download').click()]);
  assert.match(export_.suggestedFilename(), new RegExp(`^donation_intents_${month}-01_${month}-(28|29|30|31)\\.csv$`));
  const exportCsv = await readFile(await export_.path(), 'utf8');
  const lines = exportCsv.split('\r\n').filter(Boolean);
  assert.equal(lines[0], 'id,created_at,amount,campaign_identifier,customer_id,customer_external_id,vendor_id,vendor_external_id,session_id,impact');
  assert.equal(lines.length, 1 + inMonth.length);
  assert.ok(exportCsv.includes(',"ext, ""quoted""",'), 'the external id is quoted, its quotes doubled');
  await shot('billing-after-downloads');

  // Across all organizations there is a statement, but no single organization's intents to export.
  await page.getByTestId('billing-org').selectOption({ label: 'All organizations' });
  await page.getByTestId('statement-scope').filter({ hasText: 'all organizations' }).waitFor();
  assert.equal(await page.getByTestId('intents-download').isDisabled(), true);
  assert.deepEqual(browserErrors, []);
});
