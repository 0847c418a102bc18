#!/usr/bin/env node
// Composes our "missions" subgraph (its SDL fetched from the running server) into a
// Federation v2 supergraph with @apollo/composition, optionally together with the "staffing"
// subgraph (staffing-schema.mjs). Driven as a subprocess by the Rust integration tests.
//
//   node compose.mjs '{"url":"http://127.0.0.1:PORT/graphql","staffing":true}'
//
// Optional: "token" (sent as "Authorization: Bearer <token>" on the SDL fetch),
// "staffingUrl" (the staffing subgraph's URL recorded in the supergraph; a placeholder by
// default), "timeoutMs" (SDL fetch deadline, default 10000).
//
// The SDL is fetched by POSTing {"query":"{ _service { sdl } }"} with Content-Type and Accept
// application/json. Prints one line:
//   {"type":"composition","ok":true|false,"errors":["..."],"hints":N,"hintMessages":["..."],
//    "supergraphBytes":N}
// (supergraphBytes: length of the supergraph SDL, 0 on failure). If the SDL cannot be fetched:
//   {"type":"composition","ok":false,"errors":["fetch: ..."],"hints":0,"supergraphBytes":0}
// Exits 0 (2 for a malformed argument).

import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { STAFFING_SDL } from './staffing-schema.mjs';

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
// Node's fetch reports "fetch failed" and hides the reason (e.g. ECONNREFUSED) in `cause`.
const message = (err) => {
  const cause = err?.cause ? ` (${err.cause.code ?? err.cause.message ?? err.cause})` : '';
  return String(err?.message ?? err) + cause;
};

let args;
try {
  args = JSON.parse(process.argv[2] ?? '');
  if (typeof args?.url !== 'string') throw new Error('"url" is required');
} catch (err) {
  emit({ type: 'error', message: `bad argument: ${message(err)}` });
  process.exit(2);
}

function failure(errors) {
  emit({ type: 'composition', ok: false, errors, hints: 0, supergraphBytes: 0 });
  process.exit(0);
}

async function fetchSdl() {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (args.token) headers.Authorization = `Bearer ${args.token}`;
  const res = await fetch(args.url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
    signal: AbortSignal.timeout(args.timeoutMs ?? 10000),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== 'string') {
    const errs = Array.isArray(body?.errors) ? body.errors.map((e) => e?.message).join('; ') : '';
    throw new Error(`HTTP ${res.status}, no _service.sdl${errs ? `: ${errs}` : ''}`);
  }
  return sdl;
}

let sdl;
try {
  sdl = await fetchSdl();
} catch (err) {
  failure([`fetch: ${message(err)}`]);
}

const services = [];
try {
  services.push({ name: 'missions', typeDefs: parse(sdl), url: args.url });
} catch (err) {
  failure([`parse: ${message(err)}`]);
}
if (args.staffing) {
  services.push({
    name: 'staffing',
    typeDefs: parse(STAFFING_SDL),
    url: args.staffingUrl ?? 'http://127.0.0.1:1/staffing',
  });
}

let result;
try {
  result = composeServices(services);
} catch (err) {
  failure([`compose threw: ${message(err)}`]);
}

const hints = result.hints ?? [];
emit({
  type: 'composition',
  ok: !result.errors?.length,
  errors: (result.errors ?? []).map(message),
  hints: hints.length,
  hintMessages: hints.map((h) => String(h?.toString?.() ?? h?.message ?? h)),
  supergraphBytes: result.supergraphSdl?.length ?? 0,
});
process.exit(0);
