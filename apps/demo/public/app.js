// @ts-check
// The demo page: the runtime badge, the chat at /chat and the server's
// counters (pushed on the chat socket once a second and after every close).
// The echo panel lives in echo-panel.js.
import { startEchoPanel } from './echo-panel.js';
import { byId, closeName, formatBytes, webSocketBase } from './format.js';

/**
 * @typedef {{ runtime: string, runtimeVersion: string, maxMessageBytes: number, chatTextLimit: number, processes: number }} Info
 * @typedef {{ path: string, code: number, reason: string, at: number }} CloseEntry
 * @typedef {{ type: 'stats', online: number, messagesPerSecond: number, bytesPerSecond: number, messagesTotal: number, closes: CloseEntry[] }} Stats
 * @typedef {{ pid: number, worker: number }} ServedBy
 * @typedef {{ type: 'chat', name: string, text: string, cut?: { length: number }, servedBy?: ServedBy }} ChatLine
 */

const log = byId('log');
const nameInput = /** @type {HTMLInputElement} */ (byId('name'));
const textInput = /** @type {HTMLInputElement} */ (byId('text'));
nameInput.value = `guest${Math.floor(Math.random() * 1000)}`;

/** @param {string} text @param {string} [className] @param {string} [name] */
function line(text, className, name) {
  const p = document.createElement('p');
  if (className) p.className = className;
  if (name) {
    const who = document.createElement('span');
    who.className = 'name';
    who.textContent = `${name}: `;
    p.append(who);
  }
  p.append(text);
  log.append(p);
  // Bounded: the log keeps the newest 500 lines.
  while (log.childElementCount > 500) log.firstElementChild?.remove();
  log.scrollTop = log.scrollHeight;
  return p;
}

/** `process 2 · pid 1234` (process 0 is a server running alone). @param {ServedBy} servedBy */
function processName(servedBy) {
  return servedBy.worker === 0 ? `pid ${servedBy.pid}` : `process ${servedBy.worker} · pid ${servedBy.pid}`;
}

/** @param {ChatLine} message */
function chatLine(message) {
  const p = line(message.text, '', message.name);
  if (message.servedBy) {
    const via = document.createElement('span');
    via.className = 'via';
    via.textContent = `via ${processName(message.servedBy)}`;
    via.dataset['worker'] = String(message.servedBy.worker);
    via.dataset['pid'] = String(message.servedBy.pid);
    p.append(via);
  }
  if (message.cut) {
    const note = document.createElement('span');
    note.className = 'cut';
    note.textContent = ` [cut: ${[...message.text].length.toLocaleString('en')} of ${message.cut.length.toLocaleString('en')} characters shown]`;
    p.append(note);
    log.scrollTop = log.scrollHeight;
  }
}

/** @param {Stats} stats */
function showStats(stats) {
  byId('online').textContent = String(stats.online);
  byId('mps').textContent = String(stats.messagesPerSecond);
  byId('bps').textContent = formatBytes(stats.bytesPerSecond);
  byId('total').textContent = String(stats.messagesTotal);
  const list = byId('closes');
  const items = stats.closes.map((entry) => {
    const li = document.createElement('li');
    const code = document.createElement('span');
    code.className = entry.code === 1000 || entry.code === 1001 ? 'code' : 'code abnormal';
    code.textContent = String(entry.code);
    const what = document.createElement('span');
    what.textContent = `${closeName(entry.code)} · ${entry.path}${entry.reason ? ` · “${entry.reason}”` : ''}`;
    const when = document.createElement('span');
    when.className = 'muted';
    when.textContent = new Date(entry.at).toLocaleTimeString();
    li.append(code, what, when);
    li.dataset['code'] = String(entry.code);
    return li;
  });
  if (items.length === 0) {
    const none = document.createElement('li');
    none.className = 'muted';
    none.textContent = 'none yet';
    items.push(none);
  }
  list.replaceChildren(...items);
}

/** @param {string} base */
function connectChat(base) {
  const chat = new WebSocket(`${base}/chat`);
  /** @type {any} */ (window).chat = chat;
  const state = byId('chat-state');
  chat.onopen = () => {
    state.textContent = 'connected';
    byId('chat-deflate').textContent = chat.extensions || 'none';
  };
  chat.onmessage = (event) => {
    /** @type {ChatLine | Stats | { type: 'presence', online: number } | { type: 'hello', servedBy: ServedBy }} */
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === 'chat') chatLine(message);
    else if (message.type === 'hello') {
      const served = byId('served-by');
      served.textContent = processName(message.servedBy);
      served.dataset['worker'] = String(message.servedBy.worker);
      served.dataset['pid'] = String(message.servedBy.pid);
      // In a cluster the counters below are the serving process's own.
      byId('counters-scope').textContent = message.servedBy.worker === 0 ? '' : `(process ${message.servedBy.worker})`;
    }
    else if (message.type === 'presence') byId('online').textContent = String(message.online);
    else if (message.type === 'stats') showStats(message);
  };
  chat.onclose = (event) => {
    state.textContent = `closed ${event.code} (${closeName(event.code)}), reconnecting…`;
    line(`chat connection closed: ${event.code} ${closeName(event.code)}`, 'system');
    setTimeout(() => connectChat(base), 1500);
  };
}

byId('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const chat = /** @type {WebSocket | undefined} */ (/** @type {any} */ (window).chat);
  const text = textInput.value.trim();
  if (!text || chat?.readyState !== WebSocket.OPEN) return;
  chat.send(JSON.stringify({ name: nameInput.value.trim() || 'guest', text }));
  textInput.value = '';
});

/** @returns {Promise<Info>} */
async function loadInfo() {
  const response = await fetch('/info');
  if (!response.ok) throw new Error(`/info answered ${response.status}`);
  return response.json();
}

const info = await loadInfo();
const badge = byId('runtime');
badge.textContent = `${info.runtime} ${info.runtimeVersion}${info.processes > 1 ? ` · ${info.processes} processes` : ''}`;
badge.dataset['runtime'] = info.runtime;
badge.dataset['processes'] = String(info.processes);
byId('limit').textContent = formatBytes(info.maxMessageBytes);
const base = webSocketBase();
connectChat(base);
startEchoPanel(base);
