// Shared pieces of the browser tests: the real binary on a free port with a fresh database,
// Debian's Chromium through playwright-core with the page's errors collected, screenshots and
// tests that leave one behind when they fail, a second HTTP origin for host pages, and axe-core.

import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BINARY = process.env.IMPACTAPI_BIN
  || path.join(path.resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target'), 'debug', 'impactapi');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const ADMIN_TOKEN = 'ia_admin_browsertest000000000000000000001';
export const API_KEY = 'ia_sk_browsertest0000000000000000000000000001';

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts impactapi with a fresh database in a temporary folder (`extraArgs` appended) and waits
 * for /healthz. Returns `{ base, tmp, stop }`; the server never outlives the test process.
 */
export async function startServer({ name = 'server', extraArgs = [] } = {}) {
  await mkdir(ARTIFACTS, { recursive: true });
  const tmp = await mkdtemp(path.join(tmpdir(), 'impactapi-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = createWriteStream(path.join(ARTIFACTS, `${name}.log`));
  const child = spawn(BINARY, [
    '--db', path.join(tmp, 'b.db'),
    '--bind', `127.0.0.1:${port}`,
    '--admin-token', ADMIN_TOKEN,
    '--api-key', API_KEY,
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  process.on('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`impactapi exited with ${child.exitCode}; see ${ARTIFACTS}/${name}.log`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch (_) {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('impactapi did not answer /healthz within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  async function stop() {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => { if (child.exitCode === null) process.kill(child.pid, 'SIGKILL'); }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(tmp, { recursive: true, force: true });
  }
  return { base, tmp, stop };
}

/** Debian's Chromium, headless, with a profile in `dir`. */
export async function launchBrowser(dir, viewport = { width: 1280, height: 900 }) {
  const context = await chromium.launchPersistentContext(path.join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport,
  });
  context.setDefaultTimeout(10_000);
  return context;
}

/**
 * The context's first page, with its errors collected into `errors`: uncaught exceptions and
 * console errors. A refused credential or secret logs "Failed to load resource" on purpose, so that
 * one is left out; anything else (a CSP violation, a script error) is a failure.
 */
export async function firstPage(context, errors) {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  return page;
}

/** The text content of a playwright locator, trimmed. */
export const text = async (locator) => (await locator.textContent()).trim();

/**
 * Full-page screenshots of the page `getPage()` returns, in test-artifacts/screenshots/<folder>
 * (a test file's own folder, or the shared one without `folder`), named
 * `<prefix>NN-<name>.png` numbered in the order taken, or `<prefix><name>.png` with
 * `numbered: false`. Returns:
 * - `dir`, the folder;
 * - `prepare({ clear })`, which creates the folder and with `clear` deletes this file's earlier
 *   screenshots: its whole folder if it has one, else only the numbered files with its prefix;
 * - `shot(name)`, which takes one and returns its path;
 * - `scenario(name, fn)`, a test that leaves a `FAILED-<name>` screenshot behind when it fails
 *   (the name cut to `failedNameLength` characters).
 */
export function screenshots(getPage, { folder = '', prefix = '', numbered = true, failedNameLength = 60 } = {}) {
  const dir = path.join(ARTIFACTS, 'screenshots', folder);
  let taken = 0;

  async function prepare({ clear = false } = {}) {
    if (clear && folder) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    if (clear && !folder) {
      if (!numbered) throw new Error('only numbered screenshots can be cleared from the shared folder');
      const own = (f) => f.startsWith(prefix) && /^\d{2,}-.+\.png$/.test(f.slice(prefix.length));
      for (const f of await readdir(dir)) if (own(f)) await rm(path.join(dir, f));
    }
  }

  async function shot(name) {
    taken += 1;
    const number = numbered ? `${String(taken).padStart(2, '0')}-` : '';
    const file = path.join(dir, `${prefix}${number}${name}.png`);
    await getPage().screenshot({ path: file, fullPage: true });
    return file;
  }

  function scenario(name, fn) {
    test(name, { timeout: 60_000 }, async () => {
      try {
        await fn();
      } catch (e) {
        await shot(`FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, failedNameLength)}`).catch(() => {});
        throw e;
      }
    });
  }

  return { dir, prepare, shot, scenario };
}

/**
 * A tiny HTTP server on another origin (`http://localhost:<port>`, while impactapi is on
 * 127.0.0.1) serving the pages of `routes`: path -> () => html.
 */
export async function startHostServer(routes) {
  const port = await freePort();
  const server = createHttpServer((req, res) => {
    const page = routes[new URL(req.url, 'http://host').pathname];
    if (!page) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(page(req));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.unref();
  return { origin: `http://localhost:${port}`, close: () => new Promise((r) => server.close(r)) };
}

let axeSource;
/**
 * Runs axe-core inside `frame` (a playwright Page or Frame) and returns its serious and critical
 * violations as `"rule: target"` strings. The source is evaluated through the DevTools protocol,
 * so the page's CSP stays as strict as it is.
 */
export async function axeViolations(frame) {
  if (!axeSource) {
    const require = createRequire(import.meta.url);
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  const hasAxe = await frame.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await frame.evaluate(axeSource);
  const violations = await frame.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

/** A JSON call to impactapi from the test itself (not the page). */
export async function callApi(base, method, urlPath, { body, token = API_KEY, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${base}${urlPath}`, init);
  return { status: res.status, body: await res.json() };
}
