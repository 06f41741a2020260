/**
 * The help texts (`framewire --help`, `framewire COMMAND --help`).
 *
 * @module
 */

/** Help per command, and the overview under `''`. */
export const USAGE: Readonly<Record<string, string>> = {
  '': `framewire: WebSocket servers and clients from the command line

  framewire serve [options] -- PROGRAM [ARGS...]   a program per connection (websocketd-style)
  framewire serve --shared [options] -- PROGRAM    one program for all clients
  framewire connect URL [options]                  terminal client (websocat-style)
  framewire echo [--port N]                        echo server
  framewire broadcast [--port N]                   relays each message to every other client
  framewire hub [--port N] [--redis|--nats URL]    topic pub/sub over WebSocket and HTTP, with history

Each command takes --help. Servers print READY on stderr once listening.`,
  serve: `framewire serve [options] -- PROGRAM [ARGS...]

Each connection starts PROGRAM (no shell): text messages become stdin lines,
stdout lines become text messages, stderr goes to the log with the
connection id. Program exit 0 closes with 1000, anything else with 1011.
When the client leaves, the program gets EOF, then SIGTERM, then SIGKILL.

  -p, --port N            port (default 8080; 0 picks one)
      --host H            address to bind (default 127.0.0.1)
      --runtime R         node (default), bun or deno
      --binary            raw chunks both ways instead of lines
      --shared            one program for all clients: stdout lines go to everyone
      --tag               with --shared: prefix stdin lines with "ID<TAB>"
      --client-queue B    with --shared: bytes a client may lag before close 1008 (default 4 MiB)
      --max-forks N       at most N programs at once, more get HTTP 503 (default 1024; 0 no limit)
      --origin LIST       allowed origins (https://app.example or host[:port]), repeatable; else 403
      --token T           require "Authorization: Bearer T" or ?token=T (else 401); env FRAMEWIRE_TOKEN
      --staticdir DIR     serve files from DIR on plain HTTP (index.html for /)
      --metrics           answer GET /metrics (Prometheus text: connections, refusals, messages, bytes, close codes)
      --path /P=PROGRAM   route /P to PROGRAM; /P=["PROGRAM","ARG",...] with arguments; repeatable
      --protocol P        subprotocol to accept, in preference order; repeatable
      --heartbeat S       ping after S seconds of silence (default 30; 0 off)
      --no-deflate        do not negotiate permessage-deflate (on by default)
      --cert F --key F    serve wss:// with this PEM certificate and key
      --close-grace S     seconds from stdin EOF to SIGTERM (default 1)
      --kill-grace S      seconds from SIGTERM to SIGKILL (default 2)
      --max-line B        longer stdout lines are sent in pieces of B bytes (default 1 MiB)
      --max-payload B     largest message accepted (default 16 MiB; 1009 beyond)
      --passenv LIST      parent variables passed on (default PATH,LD_LIBRARY_PATH)
      --no-spawn-helper   start programs with the runtime's spawn, not the vfork spawn helper
  -q, --quiet             no access log lines`,
  connect: `framewire connect URL [options]

Sends stdin lines as text messages, prints messages one per line. At EOF it
sends close 1000, waits for the server and exits 0; any other close or a
failed connection exits 1 with one line on stderr. In a terminal: line
editing, "> " for what you send and "< " for what arrives.

  -H, --header 'N: V'     extra request header, repeatable
      --protocol P        subprotocol to offer, repeatable
      --binary            raw stdin chunks as binary messages, messages written raw
      --no-deflate        do not offer permessage-deflate
      --ping-interval S   ping after S seconds of silence (drop the server after 2 missed pongs)
      --origin O          the Origin header
      --ca F              trust this PEM certificate for wss://
      --runtime R         node (default), bun or deno`,
  echo: `framewire echo [--port N] [--host H] [--runtime R] [--no-deflate] [-q]

Echoes every message to its sender with its type; up to 64 MiB messages.`,
  broadcast: `framewire broadcast [--port N] [--host H] [--runtime R] [--no-deflate] [-q]

Relays every message to every other client; a client more than 4 MiB
behind is closed with 1008.`,
  hub: `framewire hub [options]

Topic pub/sub: ws://HOST:PORT/topics/NAME[?since=ID] subscribes (and what the
client sends is published there), POST /topics/NAME publishes the body,
GET /topics/NAME/history?limit=N returns the last messages, GET /healthz.
Subprotocol framewire.v1 gets {"topic","id","data"} JSON envelopes; no
subprotocol gets the payloads as they are. See the README's "Hub" section.

  -p, --port N            port (default 8080; 0 picks one)
      --host H            address to bind (default 127.0.0.1)
      --history N         messages kept per topic (default 100; 0: none)
      --secret S          HS256 JWT secret (or FRAMEWIRE_HUB_SECRET); without it everything is open
      --echo              a WebSocket publisher also gets its own messages
      --max-connections N (default 10000)
      --max-topics N      topics with subscribers, and with history (default 10000)
      --max-message N     bytes, WebSocket and HTTP (default 1048576)
      --redis URL         share topics and history through Redis (pub/sub + Streams)
      --nats URL          share topics and history through NATS (core + JetStream; nats-server -js)
      --no-deflate        refuse permessage-deflate
      --metrics           answer GET /metrics (Prometheus text: server and hub counters; no token needed)
  -q, --quiet             no per-connection lines`,
};
