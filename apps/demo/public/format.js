// @ts-check
// Number and close-code formatting shared by the page's panels.

/** RFC 6455 §7.4.1 names of the codes a page may see. @type {Record<number, string>} */
const CLOSE_NAMES = {
  1000: 'normal',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no code',
  1006: 'abnormal (no close frame)',
  1007: 'invalid data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'extension required',
  1011: 'internal error',
  4003: 'chat: binary message',
  4008: 'chat: not a chat message',
};

/** @param {number} code */
export function closeName(code) {
  return CLOSE_NAMES[code] ?? (code >= 3000 && code <= 4999 ? 'application' : 'unknown');
}

/** Bytes as B, KiB or MiB with one decimal where it helps. @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Milliseconds with sensible precision. @param {number} ms */
export function formatMs(ms) {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** The ws:// or wss:// origin of the page: every runtime serves the page and its WebSockets on one port. */
export function webSocketBase() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}`;
}

/** An element by id, or an error naming it (the page is broken without it). @param {string} id */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element;
}
