// `framewire hub --secret`: JWT (HS256 via jose) and one-time tickets, as
// users run it: the real CLI process, real clients, real tokens.
import { existsSync } from 'node:fs';
import { connect, HandshakeStatusError, type ConnectOptions } from '@framewire/node-adapter';
import { SignJWT } from 'jose';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { record } from './helpers/client.js';
import { peerMissing } from '../../codec/test/peers.js';
import { startCli, stopAll, type RunningCli } from './helpers/cli.js';

afterEach(stopAll);

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const ws = (cli: RunningCli, path: string): string => `ws://127.0.0.1:${cli.port}${path}`;
const http = (cli: RunningCli, path: string): string => `http://127.0.0.1:${cli.port}${path}`;

const RIGHTS = {
  news: { subscribe: true },
  'chat.*': { publish: true, subscribe: true },
  'chat.readonly': { subscribe: true, publish: false },
};

/** A token signed with `secret`, expiring `expiresIn` seconds from now. */
function token(permissions: unknown = RIGHTS, secret = SECRET, expiresIn = 300): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ permissions }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(now + expiresIn).sign(new TextEncoder().encode(secret));
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function upgradeStatus(url: string, options: ConnectOptions = {}): Promise<number> {
  try {
    const session = await connect(url, options);
    session.close(1000);
    return 101;
  } catch (error) {
    if (error instanceof HandshakeStatusError) return error.status;
    throw error;
  }
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain', ...headers } });
}

const bearer = (jwt: string): Record<string, string> => ({ Authorization: `Bearer ${jwt}` });

describe('hub --secret: JWT', () => {
  it('refuses a missing, forged, expired, alg:none or exp-less token with 401; a topic outside the claims with 403', async () => {
    const cli = await startCli(['hub', '--port', '0', '--secret', SECRET]);
    expect(cli.stderr()).not.toMatch(/WARNING/);
    const good = await token();
    const forged = await token(RIGHTS, 'the-wrong-secret-0123456789-abcdefghij');
    const expired = await token(RIGHTS, SECRET, -60);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ permissions: { '*': { publish: true, subscribe: true } }, exp: Math.floor(Date.now() / 1000) + 300 })}.`;
    const noExp = await new SignJWT({ permissions: RIGHTS }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    const badClaims = await token({ 'a*b': { publish: true } });

    expect(await upgradeStatus(ws(cli, '/topics/news'))).toBe(401);
    for (const [name, jwt] of Object.entries({ forged, expired, none, noExp, badClaims, junk: 'not.a.jwt' })) {
      expect(await upgradeStatus(ws(cli, `/topics/news?token=${jwt}`)), name).toBe(401);
      expect(await upgradeStatus(ws(cli, '/topics/news'), { headers: bearer(jwt) }), name).toBe(401);
      expect((await post(http(cli, '/topics/chat.x'), 'x', bearer(jwt))).status, name).toBe(401);
      expect((await fetch(http(cli, '/topics/news/history'), { headers: bearer(jwt) })).status, name).toBe(401);
      expect((await fetch(http(cli, '/tickets'), { method: 'POST', headers: bearer(jwt) })).status, name).toBe(401);
    }
    // The good token: subscribe where the claims say, nowhere else.
    expect(await upgradeStatus(ws(cli, `/topics/news?token=${good}`))).toBe(101);
    expect(await upgradeStatus(ws(cli, '/topics/chat.room'), { headers: bearer(good) })).toBe(101);
    expect(await upgradeStatus(ws(cli, '/topics/secret'), { headers: bearer(good) })).toBe(403);
    expect(await upgradeStatus(ws(cli, '/topics/chat'), { headers: bearer(good) })).toBe(403);
    expect((await fetch(http(cli, '/topics/secret/history'), { headers: bearer(good) })).status).toBe(403);
    expect((await post(http(cli, '/topics/news'), 'x', bearer(good))).status).toBe(403);
    expect((await post(http(cli, '/topics/chat.readonly'), 'x', bearer(good))).status).toBe(403);
    expect((await post(http(cli, '/topics/chat.room'), 'x', bearer(good))).status).toBe(202);
    // healthz stays open.
    expect((await fetch(http(cli, '/healthz'))).status).toBe(200);
  });

  it('a publish on a socket without the publish right is closed with 1008; nothing reaches the topic', async () => {
    const cli = await startCli(['hub', '--port', '0', '--secret', SECRET]);
    const jwt = await token();
    const watcher = await record(ws(cli, '/topics/chat.readonly'), { headers: bearer(jwt) });
    const talker = await record(ws(cli, '/topics/chat.readonly'), { headers: bearer(jwt) });
    talker.session.send('sneaky');
    expect((await talker.closed).code).toBe(1008);
    const allowed = await record(ws(cli, '/topics/chat.open'), { headers: bearer(jwt) });
    allowed.session.send('fine');
    // The socket's publish and this HTTP read race: poll (bounded).
    let history: Array<{ data: string }> = [];
    for (let i = 0; i < 100 && history.length === 0; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      history = (await (await fetch(http(cli, '/topics/chat.open/history'), { headers: bearer(jwt) })).json()) as Array<{ data: string }>;
    }
    expect(history.map((e) => e.data)).toEqual(['fine']);
    expect(await (await fetch(http(cli, '/topics/chat.readonly/history'), { headers: bearer(jwt) })).json()).toEqual([]);
    expect(watcher.messages).toEqual([]);
  });

  it('nothing leaks across topics: a subscriber sees only its topic, whatever else its token allows', async () => {
    const cli = await startCli(['hub', '--port', '0', '--secret', SECRET]);
    const jwt = await token();
    const a = await record(ws(cli, '/topics/chat.a'), { headers: bearer(jwt) });
    const news = await record(ws(cli, '/topics/news'), { headers: bearer(jwt) });
    await post(http(cli, '/topics/chat.b'), 'for b', bearer(jwt));
    await post(http(cli, '/topics/chat.a'), 'for a', bearer(jwt));
    await a.received(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.messages).toEqual(['for a']);
    expect(news.messages).toEqual([]);
  });
});

describe('hub --secret: one-time tickets', () => {
  it('POST /tickets → 201 {ticket, expiresIn: 30}; the ticket works once, with the JWT rights; a second use is 401', async () => {
    const cli = await startCli(['hub', '--port', '0', '--secret', SECRET]);
    const jwt = await token();
    expect((await fetch(http(cli, '/tickets'), { method: 'POST' })).status).toBe(401);
    const issue = async (): Promise<string> => {
      const response = await fetch(http(cli, '/tickets'), { method: 'POST', headers: bearer(jwt) });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { ticket: string; expiresIn: number };
      expect(body.expiresIn).toBe(30);
      expect(body.ticket).toMatch(/^[A-Za-z0-9_-]{32}$/);
      return body.ticket;
    };
    const ticket = await issue();
    const session = await connect(ws(cli, `/topics/news?ticket=${ticket}`));
    session.close(1000);
    expect(await upgradeStatus(ws(cli, `/topics/news?ticket=${ticket}`))).toBe(401);
    // The ticket carries the JWT's rights: a topic outside them is 403, and that uses the ticket up too.
    const other = await issue();
    expect(await upgradeStatus(ws(cli, `/topics/secret?ticket=${other}`))).toBe(403);
    expect(await upgradeStatus(ws(cli, `/topics/news?ticket=${other}`))).toBe(401);
    expect(await upgradeStatus(ws(cli, '/topics/news?ticket=made-up-ticket-made-up-ticket-xx'))).toBe(401);
    // Tickets are for upgrades only.
    expect((await post(http(cli, '/topics/chat.x?ticket=' + (await issue())), 'x')).status).toBe(401);
  });

  it('an expired ticket is refused with 401 (a ticket never outlives its JWT)', async () => {
    const cli = await startCli(['hub', '--port', '0', '--secret', SECRET]);
    const shortLived = await token(RIGHTS, SECRET, 2);
    const response = await fetch(http(cli, '/tickets'), { method: 'POST', headers: bearer(shortLived) });
    expect(response.status).toBe(201);
    const { ticket } = (await response.json()) as { ticket: string };
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await upgradeStatus(ws(cli, `/topics/news?ticket=${ticket}`))).toBe(401);
  });
});

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) peerMissing(it, `${chromiumPath} (apt-get install chromium): hub tickets from a browser`);

describe.skipIf(!hasChromium)('hub --secret: a browser (Chromium) on another origin', () => {
  it('trades its JWT for a ticket (CORS preflight), subscribes with ?ticket=, publishes over HTTP, and cannot reuse the ticket', async () => {
    const cli = await startCli(['hub', '--port', '0', '--secret', SECRET]);
    const jwt = await token();
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      // The page's origin is localhost:PORT; the hub is called as 127.0.0.1:PORT: a different origin.
      await page.goto(`http://localhost:${cli.port}/healthz`);
      const result = await page.evaluate(
        async ({ hub, jwt }) => {
          const auth = { Authorization: `Bearer ${jwt}` };
          const issued = await fetch(`http://${hub}/tickets`, { method: 'POST', headers: auth });
          const { ticket } = (await issued.json()) as { ticket: string };
          const open = (t: string): Promise<{ got: string[]; code: number; opened: boolean }> =>
            new Promise((resolve) => {
              const ws = new WebSocket(`ws://${hub}/topics/chat.browser?ticket=${t}`, ['framewire.v1']);
              const got: string[] = [];
              let opened = false;
              ws.onopen = () => {
                opened = true;
                void fetch(`http://${hub}/topics/chat.browser`, { method: 'POST', body: 'from the browser', headers: { ...auth, 'Content-Type': 'text/plain' } });
              };
              ws.onmessage = (event) => {
                got.push(String(event.data));
                ws.close(1000);
              };
              ws.onclose = (event) => resolve({ got, code: event.code, opened });
            });
          return { status: issued.status, first: await open(ticket), again: await open(ticket) };
        },
        { hub: `127.0.0.1:${cli.port}`, jwt },
      );
      expect(result.status).toBe(201);
      expect(result.first.opened).toBe(true);
      expect(result.first.got.map((m) => JSON.parse(m) as unknown)).toEqual([{ topic: 'chat.browser', id: '1', data: 'from the browser' }]);
      expect(result.first.code).toBe(1000);
      // Refused before the upgrade (401): a browser only sees 1006.
      expect(result.again).toEqual({ got: [], code: 1006, opened: false });
    } finally {
      await browser.close();
    }
  });
});
