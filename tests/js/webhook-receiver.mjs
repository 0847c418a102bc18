#!/usr/bin/env node
// A real HTTP receiver of Standard Webhooks (https://www.standardwebhooks.com/) for the webhook tests,
// driven as a subprocess by the Rust integration tests. Signatures are checked with the independent
// `standardwebhooks` package, never with our own code.
//
//   node webhook-receiver.mjs '{"secret":"whsec_...","secrets":["whsec_..."],"failFirst":0,"failForMs":0,
//                              "failStatus":503,"slowMs":0,"timeoutMs":120000}'
//
// Every option may be left out. `secret` and `secrets` together are the accepted secrets: a delivery is
// valid when any of them verifies it (secret rotation). Listens on 127.0.0.1 on a free port:
//   POST /redirect   always 307 with `Location: /`, nothing verified (the sender must not follow it)
//   GET  /stats      200 {"accepted":N,"unique":N,"failed":N,"invalid":N}
//   POST <any path>  a webhook: the raw body bytes (never re-serialized) and the webhook-id,
//                    webhook-timestamp and webhook-signature headers go to `new Webhook(secret).verify`.
//                    Invalid -> 401. Valid while failing on purpose (the first `failFirst` valid
//                    deliveries, the first `failForMs` ms after listening, or while `{"fail":true}`) ->
//                    `failStatus`. Otherwise -> 204, after `slowMs` ms if set.
//   anything else    405
// Note that the package rejects a webhook-timestamp more than 5 minutes (300 s) before or after now.
//
// Writes one JSON object per line to stdout:
//   {"type":"listening","port":N}
//   {"type":"delivery","id":"<webhook-id>","timestamp":<webhook-timestamp as a number>,"duplicate":bool,
//    "receivedAt":<Date.now() on arrival>,"secret":<index of the accepted secret that verified it>,
//    "aborted":bool,"body":<the body parsed as JSON, null if empty or not JSON>}
//      (printed when the 204 is sent, so after slowMs; `duplicate` is true when this webhook-id was
//      accepted before, even by a delivery still waiting out slowMs; `aborted` is true when the sender
//      had closed the connection before the 204 could be written; a body that is not JSON also adds
//      "rawBody":"...")
//   {"type":"failed","id":"...","count":N}     (N: valid deliveries refused on purpose so far)
//   {"type":"invalid","id":"..."|null,"error":"..."}
//   {"type":"redirected","id":"..."|null}
//   {"type":"ok"}                              (after each command on stdin)
//   {"type":"error","error":"..."}             (a stdin line that is not a valid command)
// Stdin takes one JSON command a line, keys may be combined:
//   {"secrets":["whsec_a","whsec_b"]}   replaces the accepted secrets ({"secret":"whsec_a"} too)
//   {"fail":true} / {"fail":false}     turns failing on purpose on or off ({"fail":false} also ends what
//                                      is left of failFirst and failForMs)
// It exits when stdin closes or at timeoutMs.

import http from 'node:http';
import readline from 'node:readline';
import standardwebhooks from 'standardwebhooks';

const { Webhook } = standardwebhooks;
const options = JSON.parse(process.argv[2] ?? '{}');
const print = (object) => process.stdout.write(JSON.stringify(object) + '\n');

const webhooksFor = (list) => list.map((secret) => new Webhook(secret));
const secretsOf = (object) => [
  ...(object.secret !== undefined ? [object.secret] : []),
  ...(object.secrets ?? []),
];
let webhooks = webhooksFor(secretsOf(options));
let failLeft = options.failFirst ?? 0;
const failForMs = options.failForMs ?? 0;
const failStatus = options.failStatus ?? 503;
const slowMs = options.slowMs ?? 0;
let failForced = false;
let failWindowOver = false;
let startedAt = Date.now();
const acceptedIds = new Set();
const stats = { accepted: 0, unique: 0, failed: 0, invalid: 0 };

const header = (request, name) => {
  const value = request.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(' ') : value;
};

// Returns the index of the first accepted secret that verifies, or throws the first secret's error.
function verify(raw, headers) {
  if (webhooks.length === 0) throw new Error('no secret configured');
  let firstError;
  for (const [index, webhook] of webhooks.entries()) {
    try {
      webhook.verify(raw, headers, { jsonParse: false });
      return index;
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

async function onWebhook(request, response, raw) {
  const receivedAt = Date.now();
  const id = header(request, 'webhook-id');
  let secret;
  try {
    secret = verify(raw, {
      'webhook-id': id,
      'webhook-timestamp': header(request, 'webhook-timestamp'),
      'webhook-signature': header(request, 'webhook-signature'),
    });
  } catch (error) {
    stats.invalid += 1;
    print({ type: 'invalid', id, error: error.message });
    response.writeHead(401, { 'content-type': 'text/plain' }).end('invalid signature\n');
    return;
  }
  const failing = failForced || failLeft > 0 || (!failWindowOver && receivedAt - startedAt < failForMs);
  if (failing) {
    if (failLeft > 0) failLeft -= 1;
    stats.failed += 1;
    print({ type: 'failed', id, count: stats.failed });
    response.writeHead(failStatus, { 'content-type': 'text/plain' }).end('failing on purpose\n');
    return;
  }
  const duplicate = acceptedIds.has(id);
  acceptedIds.add(id);
  stats.accepted += 1;
  stats.unique = acceptedIds.size;
  const text = raw.toString('utf8');
  let body = null;
  let rawBody;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      rawBody = text;
    }
  }
  if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
  const aborted = response.destroyed || request.socket.destroyed;
  if (!aborted) response.writeHead(204).end();
  print({
    type: 'delivery',
    id,
    timestamp: Number(header(request, 'webhook-timestamp')),
    duplicate,
    receivedAt,
    secret,
    aborted,
    body,
    ...(rawBody !== undefined ? { rawBody } : {}),
  });
}

const server = http.createServer((request, response) => {
  const path = new URL(request.url, 'http://127.0.0.1').pathname;
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    if (path === '/redirect') {
      print({ type: 'redirected', id: header(request, 'webhook-id') });
      response.writeHead(307, { location: '/' }).end();
    } else if (request.method === 'GET' && path === '/stats') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    } else if (request.method === 'POST') {
      onWebhook(request, response, Buffer.concat(chunks)).catch((error) => {
        print({ type: 'error', error: String(error && error.stack) });
        if (!response.headersSent) response.writeHead(500).end();
      });
    } else {
      response.writeHead(405, { allow: 'POST' }).end();
    }
  });
});

const exit = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};

server.listen(0, '127.0.0.1', () => {
  startedAt = Date.now();
  print({ type: 'listening', port: server.address().port });
});

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  try {
    const command = JSON.parse(line);
    if (command === null || typeof command !== 'object') throw new Error('a command is a JSON object');
    if ('secret' in command || 'secrets' in command) webhooks = webhooksFor(secretsOf(command));
    if ('fail' in command) {
      failForced = Boolean(command.fail);
      if (!failForced) {
        failLeft = 0;
        failWindowOver = true;
      }
    }
    print({ type: 'ok' });
  } catch (error) {
    print({ type: 'error', error: error.message });
  }
});
lines.on('close', exit);
setTimeout(exit, options.timeoutMs ?? 120000).unref();
