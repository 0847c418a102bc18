#!/usr/bin/env node
// GraphQL subscription test client, driven as a subprocess by the Rust integration tests.
//
//   node subscribe.mjs '{"url":"ws://127.0.0.1:PORT/graphql","protocol":"graphql-transport-ws",
//                        "token":null,"query":"subscription { ... }","variables":{},
//                        "count":3,"timeoutMs":15000}'
//
// protocol: "graphql-transport-ws" (the `graphql-ws` package) or "graphql-ws" (the legacy
// `subscriptions-transport-ws` package). token: a JWT sent as connectionParams
// {Authorization: "Bearer <token>"}, or null to send no credentials. count: stop after this
// many `next` messages (missing/null: no limit; 0: stop as soon as the connection is
// acknowledged). timeoutMs: hard deadline (default 15000).
//
// Writes one JSON object per line to stdout:
//   {"type":"connected"}
//   {"type":"next","payload":{"data":...,"errors":[...]}}
//   {"type":"error","payload":<error | [errors] | {"code":N,"reason":"..."}>}
//   {"type":"complete"}
//   {"type":"closed","code":N,"reason":"..."}
//   {"type":"timeout"}
// and always exits 0 by the deadline (exit code 2 only for a malformed argument).

import WebSocket from 'ws';

const DEFAULT_TIMEOUT_MS = 15000;
// After a terminal event, how long to wait for the socket's close event before exiting.
const CLOSE_GRACE_MS = 1000;
// After the close event, how long to let already-queued callbacks (e.g. the error that
// follows a close) print before exiting.
const SETTLE_MS = 25;

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function isCloseEventLike(v) {
  return v !== null && typeof v === 'object' && typeof v.code === 'number' && 'reason' in v;
}

function serializeError(err) {
  if (Array.isArray(err)) return err.map(serializeError);
  if (err === null || err === undefined) return null;
  if (typeof err !== 'object') return { message: String(err) };
  if (isCloseEventLike(err)) {
    const out = { code: err.code, reason: String(err.reason ?? '') };
    if (typeof err.wasClean === 'boolean') out.wasClean = err.wasClean;
    return out;
  }
  if (err instanceof Error) {
    const out = { name: err.name, message: err.message };
    for (const key of Object.keys(err)) {
      if (!(key in out)) out[key] = toPlain(err[key]);
    }
    return out;
  }
  // ws ErrorEvent: {type: 'error', message, error, target}
  if (err.type === 'error' && ('error' in err || 'message' in err) && 'target' in err) {
    return { message: err.message, error: serializeError(err.error) };
  }
  return toPlain(err);
}

function toPlain(v) {
  try {
    return v === undefined ? null : JSON.parse(JSON.stringify(v));
  } catch {
    return String(v);
  }
}

function fail(message) {
  emit({ type: 'error', payload: { message } });
  process.exit(2);
}

let args;
try {
  args = JSON.parse(process.argv[2] ?? '');
} catch (e) {
  fail(`usage: node subscribe.mjs '<json>' (${e.message})`);
}
if (args === null || typeof args !== 'object') fail('argument must be a JSON object');

const {
  url,
  protocol,
  token = null,
  query,
  variables = null,
  operationName = null,
} = args;
const count = args.count === undefined || args.count === null ? Infinity : Number(args.count);
const timeoutMs =
  args.timeoutMs === undefined || args.timeoutMs === null ? DEFAULT_TIMEOUT_MS : Number(args.timeoutMs);

if (typeof url !== 'string') fail('"url" must be a string');
if (typeof query !== 'string') fail('"query" must be a string');
if (protocol !== 'graphql-transport-ws' && protocol !== 'graphql-ws') {
  fail('"protocol" must be "graphql-transport-ws" or "graphql-ws"');
}
if (Number.isNaN(count) || count < 0) fail('"count" must be a non-negative number or null');
if (!Number.isFinite(timeoutMs) || timeoutMs < 0) fail('"timeoutMs" must be a non-negative number');

const deadline = Date.now() + timeoutMs;
const connectionParams = token === null || token === undefined ? undefined : { Authorization: `Bearer ${token}` };
const request = { query };
if (variables !== null) request.variables = variables;
if (operationName !== null) request.operationName = operationName;

// ---- lifecycle shared by both protocols ----

let received = 0;
let finishing = false; // a terminal event happened; ignore further next/complete/error
let closedSeen = false;
let exiting = false;
let closeClient = () => {}; // set per protocol
let onClosedWaiters = [];

function exit() {
  if (exiting) return;
  exiting = true;
  // Let stdout drain, then exit regardless of open handles.
  process.stdout.write('', () => process.exit(0));
  setTimeout(() => process.exit(0), 200).unref();
}

const hardTimer = setTimeout(() => {
  if (!finishing) emit({ type: 'timeout' });
  finishing = true;
  try {
    closeClient();
  } catch {}
  exit();
}, timeoutMs);

function remaining() {
  return Math.max(0, deadline - Date.now());
}

// A terminal event happened. closeNow: close the client ourselves right away; otherwise give
// the server a moment to close the socket first (so its close code is the one reported).
function finish({ closeNow }) {
  if (finishing) return;
  finishing = true;
  const doClose = () => {
    try {
      closeClient();
    } catch {}
  };
  if (closedSeen) {
    setTimeout(exit, Math.min(SETTLE_MS, remaining()));
    return;
  }
  onClosedWaiters.push(() => setTimeout(exit, Math.min(SETTLE_MS, remaining())));
  if (closeNow) doClose();
  else setTimeout(doClose, Math.min(CLOSE_GRACE_MS, remaining()));
  // If the close event never comes, exit anyway.
  setTimeout(exit, Math.min((closeNow ? 0 : CLOSE_GRACE_MS) + CLOSE_GRACE_MS, remaining()));
}

function onClosed(code, reason) {
  if (closedSeen) return;
  closedSeen = true;
  emit({ type: 'closed', code, reason: String(reason ?? '') });
  const waiters = onClosedWaiters;
  onClosedWaiters = [];
  if (waiters.length) waiters.forEach((w) => w());
  else {
    // The socket closed before any terminal event: give queued callbacks (the error that
    // accompanies a close) a moment to print, then stop.
    setTimeout(() => {
      finishing = true;
      exit();
    }, Math.min(SETTLE_MS, remaining()));
  }
}

function onConnected() {
  emit({ type: 'connected' });
  if (count === 0) finish({ closeNow: true });
}

function onNext(payload) {
  if (finishing) return;
  received += 1;
  emit({ type: 'next', payload });
  if (received >= count) finish({ closeNow: true });
}

function onError(err, { closeNow = true } = {}) {
  if (finishing) return;
  emit({ type: 'error', payload: serializeError(err) });
  finish({ closeNow });
}

function onComplete() {
  if (finishing) return;
  emit({ type: 'complete' });
  finish({ closeNow: true });
}

// ---- graphql-transport-ws: the `graphql-ws` package ----

async function runTransportWs() {
  const { createClient } = await import('graphql-ws');
  const options = {
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => onConnected(),
      closed: (event) => onClosed(event?.code, event?.reason),
    },
  };
  if (connectionParams) options.connectionParams = connectionParams;
  const client = createClient(options);
  let unsubscribe = () => {};
  closeClient = () => {
    unsubscribe();
    client.dispose();
  };
  unsubscribe = client.subscribe(request, {
    next: (value) => onNext(value),
    // Server `error` message (array of GraphQL errors), a CloseEvent or an Error.
    error: (err) => onError(err, { closeNow: !isCloseEventLike(err) }),
    complete: () => onComplete(),
  });
}

// ---- graphql-ws (legacy): the `subscriptions-transport-ws` package ----

async function runLegacy() {
  const { default: stw } = await import('subscriptions-transport-ws');
  const { SubscriptionClient } = stw;
  const options = {
    reconnect: false,
    lazy: false,
    // The library abandons a handshake not finished within minTimeout (default 1s); leave
    // that to our own deadline instead. (`timeout` is also its keep-alive check interval.)
    minTimeout: Math.max(timeoutMs, 1000),
    timeout: Math.max(timeoutMs, 30000),
    // Called with no argument on connection_ack and with the payload on connection_error
    // (which the library reports nowhere else, not even to the subscription's observer).
    connectionCallback: (err) => {
      if (err) onError(err, { closeNow: false });
    },
  };
  if (connectionParams) options.connectionParams = connectionParams;
  const client = new SubscriptionClient(url, options, WebSocket);
  // The library's own onclose handler drops the close code, so listen on the `ws` socket it
  // created in the constructor (lazy: false) directly.
  const socket = client.client;
  socket.addEventListener('close', (event) => onClosed(event.code, event.reason));
  client.onConnected(() => onConnected());
  // Socket-level errors (e.g. ECONNREFUSED); the close event follows and carries the code.
  // Listened for on the socket itself: the library detaches its onerror when it gives up on
  // a connection, and an unlistened `error` on a ws socket would crash the process.
  socket.addEventListener('error', (event) => onError(event, { closeNow: false }));
  let subscription = null;
  closeClient = () => {
    subscription?.unsubscribe();
    client.close();
  };
  subscription = client.request(request).subscribe({
    next: (value) => onNext(value),
    // The library passes only the first error of an `error` message.
    error: (err) => onError(err),
    complete: () => onComplete(),
  });
}

// A bug in this client or a library: report it and fail loudly rather than hang.
process.on('uncaughtException', (err) => {
  try {
    emit({ type: 'error', payload: serializeError(err), uncaught: true });
  } catch {}
  process.exit(1);
});

try {
  if (protocol === 'graphql-transport-ws') await runTransportWs();
  else await runLegacy();
} catch (err) {
  onError(err);
  if (!closedSeen) {
    finishing = true;
    clearTimeout(hardTimer);
    exit();
  }
}
