// @ts-check
// The echo panel: sends N messages of a chosen size and kind one after the
// other over /echo, checks each echo, and shows the round-trip times and
// the bytes on the wire per message. The browser cannot see wire bytes, so
// the page asks the server (GET /wire?id=…) before and after the run.
import { byId, closeName, formatBytes, formatMs } from './format.js';

const BIG = 100 * 1024 * 1024;
// A page-chosen id links this socket to its /wire report.
const id = Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => b.toString(16).padStart(2, '0')).join('');

/** @type {WebSocket | undefined} */
let socket;
/** The round trip in flight: its echo, or the close that ends it. @type {{ resolve: (event: MessageEvent) => void, reject: (error: Error) => void } | undefined} */
let waiting;

/** @param {number} size @param {string} kind @param {string} content @returns {string | Uint8Array<ArrayBuffer>} */
function makeMessage(size, kind, content) {
  const bytes = new Uint8Array(size);
  if (content === 'random') {
    // getRandomValues fills at most 64 KiB per call.
    for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  }
  if (kind === 'binary') {
    if (content !== 'random') for (let i = 0; i < size; i++) bytes[i] = i % 64;
    return bytes;
  }
  // Text: ASCII only, so characters and bytes agree.
  if (content === 'random') {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let text = '';
    for (let i = 0; i < size; i++) text += alphabet[(bytes[i] ?? 0) & 63];
    return text;
  }
  return 'framewire says hello over permessage-deflate. '.repeat(Math.ceil(size / 46)).slice(0, size);
}

/** @param {string | ArrayBuffer} got @param {string | Uint8Array} sent */
function same(got, sent) {
  if (typeof sent === 'string') return got === sent;
  if (!(got instanceof ArrayBuffer) || got.byteLength !== sent.length) return false;
  const view = new Uint8Array(got);
  for (let i = 0; i < view.length; i++) if (view[i] !== sent[i]) return false;
  return true;
}

/** `part` as a share of `whole`, one decimal below 10 %. @param {number} part @param {number} whole */
function percent(part, whole) {
  const share = (part / whole) * 100;
  return `${share < 10 ? share.toFixed(1) : Math.round(share)} %`;
}

/** @param {number[]} sorted @param {number} q */
function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

/** @returns {Promise<{ bytesReceived: number, bytesSent: number }>} */
async function wire() {
  const response = await fetch(`/wire?id=${id}`);
  if (!response.ok) throw new Error(`/wire answered ${response.status}`);
  return response.json();
}

/** @param {string} base */
function connect(base) {
  const state = byId('echo-state');
  const ws = new WebSocket(`${base}/echo?id=${id}`);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  /** @type {any} */ (window).echo = ws;
  ws.onopen = () => {
    state.textContent = 'connected';
    byId('echo-deflate').textContent = ws.extensions || 'none';
    setBusy(false);
  };
  ws.onmessage = (event) => {
    const pending = waiting;
    waiting = undefined;
    pending?.resolve(event);
  };
  ws.onclose = (event) => {
    state.textContent = `closed ${event.code} (${closeName(event.code)})`;
    byId('big-state').textContent = `last close: ${event.code} ${closeName(event.code)}${event.reason ? ` “${event.reason}”` : ''}; reconnecting`;
    /** @type {any} */ (window).lastEchoClose = event.code;
    waiting?.reject(new Error(`the echo connection closed (${event.code})`));
    waiting = undefined;
    setBusy(true);
    setTimeout(() => connect(base), 500);
  };
}

/** @param {boolean} busy */
function setBusy(busy) {
  for (const button of ['echo-send', 'big-send']) /** @type {HTMLButtonElement} */ (byId(button)).disabled = busy;
}

/** @param {WebSocket} ws @param {string | Uint8Array<ArrayBuffer>} message @returns {Promise<MessageEvent>} */
function roundTrip(ws, message) {
  return new Promise((resolve, reject) => {
    waiting = { resolve, reject };
    ws.send(message);
  });
}

async function run() {
  const ws = socket;
  if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
  const size = Number(/** @type {HTMLSelectElement} */ (byId('echo-size')).value);
  const kind = /** @type {HTMLSelectElement} */ (byId('echo-kind')).value;
  const content = /** @type {HTMLSelectElement} */ (byId('echo-content')).value;
  const count = Math.max(1, Math.min(1000, Math.floor(Number(/** @type {HTMLInputElement} */ (byId('echo-count')).value) || 1)));
  // Random content is made afresh for every message: the same random bytes
  // again would compress well against the first copy (context takeover).
  let message = makeMessage(size, kind, content);
  const check = byId('echo-check');
  check.className = '';
  check.textContent = `sending ${count}…`;
  setBusy(true);
  try {
    const before = await wire();
    /** @type {number[]} */
    const rtts = [];
    let ok = 0;
    for (let i = 0; i < count; i++) {
      if (i > 0 && content === 'random') message = makeMessage(size, kind, content);
      const start = performance.now();
      const echo = await roundTrip(ws, message);
      rtts.push(performance.now() - start);
      if (same(echo.data, message)) ok++;
    }
    const after = await wire();
    rtts.sort((a, b) => a - b);
    check.textContent = ok === count ? `${ok}/${count} identical` : `${count - ok} of ${count} differ`;
    check.className = ok === count ? 'ok' : 'fail';
    byId('rtt-median').textContent = formatMs(quantile(rtts, 0.5));
    byId('rtt-p99').textContent = formatMs(quantile(rtts, 0.99));
    byId('msg-size').textContent = `${formatBytes(size)} ${kind}, ${content}`;
    const up = (after.bytesReceived - before.bytesReceived) / count;
    const down = (after.bytesSent - before.bytesSent) / count;
    byId('wire-up').textContent = `${formatBytes(up)} (${percent(up, size)})`;
    byId('wire-down').textContent = `${formatBytes(down)} (${percent(down, size)})`;
    const result = { count, ok, size, wireUp: up, wireDown: down, median: quantile(rtts, 0.5), p99: quantile(rtts, 0.99) };
    /** @type {any} */ (window).lastEchoRun = result;
  } catch (error) {
    check.textContent = error instanceof Error ? error.message : String(error);
    check.className = 'fail';
  } finally {
    if (ws.readyState === WebSocket.OPEN) setBusy(false);
  }
}

function sendBig() {
  const ws = socket;
  if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
  setBusy(true);
  byId('big-state').textContent = `sending ${formatBytes(BIG)}…`;
  // Zeros: permessage-deflate shrinks them to a small frame, and the server's
  // limit still holds because it is checked while inflating.
  ws.send(new Uint8Array(BIG));
}

/** Open the echo socket on `base` (ws://host:port) and wire the panel's buttons. @param {string} base */
export function startEchoPanel(base) {
  setBusy(true);
  byId('echo-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  byId('big-send').addEventListener('click', sendBig);
  connect(base);
}
