// impactapi widget SDK (SPEC 10): the hosted SDK's API for embedding the /widget page in a
// checkout. An ES module with no dependencies:
//
//   import { createWidget } from 'https://impactapi.example/widget/sdk.js';
//   const widget = createWidget({ sessionId, secret, styleMode: 'light' });
//   widget.on('allocations-updated', ({ allocations, totalAmount }) => { ... });
//   await widget.mount('#donation');

const SDK_URL = new URL(import.meta.url);
const STYLE_MODES = ['gradient', 'solid', 'light', 'dark'];
const EVENTS = ['ready', 'session-updated', 'allocations-updated', 'resize', 'error', 'destroyed'];
const READY_TIMEOUT_MS = 10_000;

export const WidgetErrorCode = Object.freeze({
  INVALID_CONFIG: 'INVALID_CONFIG',
  CONTAINER_NOT_FOUND: 'CONTAINER_NOT_FOUND',
  MESSAGE_TIMEOUT: 'MESSAGE_TIMEOUT',
  ALREADY_MOUNTED: 'ALREADY_MOUNTED',
  NOT_MOUNTED: 'NOT_MOUNTED',
  DESTROYED: 'DESTROYED',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  API_ERROR: 'API_ERROR',
  NETWORK_ERROR: 'NETWORK_ERROR',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
});

export class WidgetError extends Error {
  constructor(message, code, details) {
    super(message);
    this.name = 'WidgetError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

const configError = (message) => new WidgetError(message, WidgetErrorCode.INVALID_CONFIG);
const isAmount = (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000_000;

function checkCommon(config) {
  if (!config || typeof config !== 'object') throw configError('config must be an object');
  if (config.styleMode !== undefined && !STYLE_MODES.includes(config.styleMode)) {
    throw configError(`styleMode must be one of ${STYLE_MODES.join(', ')}`);
  }
  let url;
  try {
    url = new URL(config.widgetUrl || '/widget', SDK_URL);
  } catch (_) {
    throw configError('widgetUrl is not a URL');
  }
  return url;
}

function resolveContainer(container) {
  if (container instanceof Element) return container;
  if (typeof container === 'string' && container) {
    const byId = document.getElementById(container.replace(/^#/, ''));
    if (byId) return byId;
    try {
      return document.querySelector(container);
    } catch (_) {
      return null;
    }
  }
  return null;
}

class Widget {
  constructor(kind, config, widgetUrl) {
    this._kind = kind;
    this._config = config;
    this._widgetUrl = widgetUrl;
    this._handlers = new Map(EVENTS.map((e) => [e, new Set()]));
    this._reset();
  }

  _reset() {
    this._iframe = null;
    this._ready = false;
    this._sessionId = this._kind === 'session' ? this._config.sessionId : null;
    this._type = null;
    this._data = null;
    this._allocations = null;
    if (this._listener) window.removeEventListener('message', this._listener);
    this._listener = null;
  }

  /** Puts the widget into `container` (an element, an id or a selector); resolves with the
   * session id when the widget says `ready`. */
  mount(container) {
    if (this._iframe) return Promise.reject(new WidgetError('The widget is already mounted', WidgetErrorCode.ALREADY_MOUNTED));
    const el = resolveContainer(container);
    if (!el) return Promise.reject(new WidgetError(`No container ${String(container)}`, WidgetErrorCode.CONTAINER_NOT_FOUND));
    const url = new URL(this._widgetUrl);
    if (this._kind === 'session') url.searchParams.set('sessionId', this._config.sessionId);
    else url.searchParams.set('previewMode', 'true');
    url.searchParams.set('styleMode', this._config.styleMode || 'light');
    const iframe = document.createElement('iframe');
    iframe.src = url.href;
    iframe.title = this._config.title || 'Donation choice';
    iframe.setAttribute('scrolling', 'no');
    iframe.style.cssText = 'display:block;width:100%;border:0;height:160px;color-scheme:normal';
    this._iframe = iframe;
    const origin = url.origin;
    this._listener = (event) => this._receive(event, origin);
    window.addEventListener('message', this._listener);

    const ready = this.waitFor('ready', { timeout: READY_TIMEOUT_MS });
    const failed = new Promise((_, reject) => {
      const onError = (payload) => {
        this.off('error', onError);
        if (!this._ready) reject(new WidgetError(payload.message, payload.code, payload));
      };
      this.on('error', onError);
      ready.then(() => this.off('error', onError), () => this.off('error', onError));
    });
    iframe.addEventListener('load', () => {
      if (this._iframe !== iframe) return;
      const message = this._kind === 'session'
        ? { type: 'init', secret: this._config.secret }
        : { type: 'preview-init', config: this._previewConfig() };
      iframe.contentWindow.postMessage(message, origin);
    });
    el.appendChild(iframe);
    return Promise.race([ready, failed]).then(() => this._sessionId, (e) => {
      if (e.code === WidgetErrorCode.MESSAGE_TIMEOUT) e.message = `The widget did not get ready within ${READY_TIMEOUT_MS / 1000} s`;
      throw e;
    });
  }

  _previewConfig() {
    const c = this._config;
    return c.type === 'portion_of_sales'
      ? { type: c.type, allocations: c.allocations.map((a) => ({ campaign_identifier: a.campaign_identifier, amount: a.amount })) }
      : { type: c.type, amount: c.amount, available_campaigns: [...c.available_campaigns] };
  }

  _receive(event, origin) {
    if (!this._iframe || event.source !== this._iframe.contentWindow || event.origin !== origin) return;
    const m = event.data;
    if (!m || typeof m.type !== 'string' || typeof m.timestamp !== 'number' || typeof m.sessionId !== 'string') return;
    const payload = m.payload;
    switch (m.type) {
      case 'ready':
        this._ready = true;
        this._sessionId = payload.sessionId || m.sessionId;
        this._type = payload.type || null;
        break;
      case 'session-updated':
        this._data = payload;
        this._type = payload.type || this._type;
        break;
      case 'allocations-updated':
        this._allocations = payload.allocations;
        break;
      case 'resize':
        if (Number.isFinite(payload.height)) this._iframe.style.height = `${Math.max(0, Math.ceil(payload.height))}px`;
        break;
      default:
    }
    this._emit(m.type, payload, m);
  }

  _emit(event, payload, message) {
    const set = this._handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload, message);
      } catch (e) {
        setTimeout(() => { throw e; });
      }
    }
  }

  /** Removes the iframe; `mount` may be called again afterwards. */
  destroy() {
    if (!this._iframe) return;
    const sessionId = this._sessionId;
    try {
      this._iframe.contentWindow.postMessage({ type: 'destroy' }, new URL(this._widgetUrl).origin);
    } catch (_) {
      // the frame is already gone
    }
    this._iframe.remove();
    this._reset();
    this._emit('destroyed', { sessionId }, null);
  }

  on(event, fn) {
    if (!this._handlers.has(event)) throw configError(`Unknown event ${event}; one of ${EVENTS.join(', ')}`);
    if (typeof fn !== 'function') throw configError('on() needs a function');
    this._handlers.get(event).add(fn);
    return this;
  }

  off(event, fn) {
    const set = this._handlers.get(event);
    if (!set) return this;
    if (fn) set.delete(fn);
    else set.clear();
    return this;
  }

  /** The payload of the next `event`, or a MESSAGE_TIMEOUT error after `timeout` ms. */
  waitFor(event, { timeout = READY_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const fn = (payload) => {
        clearTimeout(timer);
        this.off(event, fn);
        resolve(payload);
      };
      const timer = setTimeout(() => {
        this.off(event, fn);
        reject(new WidgetError(`No ${event} message within ${timeout} ms`, WidgetErrorCode.MESSAGE_TIMEOUT));
      }, timeout);
      this.on(event, fn);
    });
  }

  isReady() { return this._ready; }

  getSessionId() { return this._sessionId; }

  getSessionData() { return this._data; }

  getAllocations() {
    if (this._allocations) return this._allocations;
    return this._data ? this._data.allocations : [];
  }

  getType() { return this._type || (this._data && this._data.type) || (this._kind === 'preview' ? this._config.type : null); }

  /** Asks the widget to read the session again; resolves with the fresh SessionData. */
  refresh() {
    if (!this._iframe) return Promise.reject(new WidgetError('The widget is not mounted', WidgetErrorCode.NOT_MOUNTED));
    const updated = this.waitFor('session-updated');
    this._iframe.contentWindow.postMessage({ type: 'refresh' }, new URL(this._widgetUrl).origin);
    return updated;
  }
}

/** A widget for a real session: `{sessionId, secret, styleMode?, widgetUrl?}`. */
export function createWidget(config) {
  const url = checkCommon(config);
  if (typeof config.sessionId !== 'string' || !config.sessionId) throw configError('sessionId is required');
  if (typeof config.secret !== 'string' || !config.secret) throw configError('secret is required');
  return new Widget('session', { ...config }, url.href);
}

/** A widget that shows what a session would look like and writes nothing:
 * `{type, amount, available_campaigns}` or `{type: 'portion_of_sales', allocations}`. */
export function createPreviewWidget(config) {
  const url = checkCommon(config);
  if (config.type === 'portion_of_sales') {
    const list = config.allocations;
    if (!Array.isArray(list) || list.length < 1 || list.length > 10
      || !list.every((a) => a && typeof a.campaign_identifier === 'string' && isAmount(a.amount))) {
      throw configError('allocations must be 1-10 items of {campaign_identifier, amount}');
    }
  } else if (config.type === 'add_on' || config.type === 'portion_of_sales_choice') {
    if (!isAmount(config.amount)) throw configError('amount must be an integer number of cents from 1 to 1000000000');
    const list = config.available_campaigns;
    if (!Array.isArray(list) || list.length < 1 || list.length > 10 || !list.every((s) => typeof s === 'string' && s)) {
      throw configError('available_campaigns must list 1-10 campaign identifiers');
    }
  } else {
    throw configError('type must be add_on, portion_of_sales_choice or portion_of_sales');
  }
  return new Widget('preview', { ...config }, url.href);
}
