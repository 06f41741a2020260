// Module hooks for bench/servers/no-whatwg.mjs (they run on the loader thread).
const STUB_URL = 'framewire-bench:no-whatwg';

// The names the node-adapter imports from '@framewire/codec/whatwg'. Only the
// default shape works; the classes exist so `class X extends WebSocket` loads.
const STUB_SOURCE = `
const refuse = () => { throw new Error('the WHATWG module is not loaded in this process (bench/servers/no-whatwg.mjs)'); };
export function checkConnectionShape(shape) { if (shape === undefined || shape === 'session') return 'session'; refuse(); }
export function shapeConnection() { refuse(); }
export function streamTransport() { refuse(); }
export class WebSocket { constructor() { refuse(); } }
export class WebSocketStream { constructor() { refuse(); } }
export class WebSocketError extends Error {}
`;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@framewire/codec/whatwg') return { url: STUB_URL, shortCircuit: true };
  const resolved = await nextResolve(specifier, context);
  if (resolved.url.includes('/codec/dist/whatwg/')) throw new Error(`no-whatwg: ${resolved.url} was about to load`);
  return resolved;
}

export async function load(url, context, nextLoad) {
  if (url === STUB_URL) return { format: 'module', source: STUB_SOURCE, shortCircuit: true };
  return nextLoad(url, context);
}
