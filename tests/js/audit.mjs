#!/usr/bin/env node
// Runs the GraphQL-over-HTTP conformance audits of the `graphql-http` package against a
// server. Driven as a subprocess by the Rust integration tests.
//
//   node audit.mjs '{"url":"http://127.0.0.1:PORT/graphql"}'   (optional "token": a JWT)
//
// Prints one line per audit, in order, then a summary:
//   {"type":"audit","id":"...","name":"MUST ...|SHOULD ...|MAY ...","status":"ok|notice|warn|error",
//    "reason":"..."|null}
//   {"type":"summary","ok":N,"notice":N,"warn":N,"error":N}
// graphql-http reports a failed MUST audit as "error", a failed SHOULD as "warn" and a failed
// MAY as "notice". An audit whose fn() throws (graphql-http: "only if the error is fatal",
// e.g. connection refused) is reported as "error" with reason "threw: ...".
// Exits 0 (2 for a malformed argument).

import { serverAudits } from 'graphql-http';

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

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
// graphql-http sends no credentials; with "token" every audit request also carries
// "Authorization: Bearer <token>" (through a wrapping fetchFn).
const fetchFn = args.token
  ? (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${args.token}`);
      return fetch(input, { ...init, headers });
    }
  : undefined;

for (const audit of serverAudits({ url: args.url, fetchFn })) {
  let status;
  let reason = null;
  try {
    const result = await audit.fn();
    status = result.status;
    reason = result.reason || null;
  } catch (err) {
    status = 'error';
    reason = `threw: ${message(err)}`;
  }
  counts[status] = (counts[status] ?? 0) + 1;
  emit({ type: 'audit', id: audit.id, name: audit.name, status, reason });
}
emit({ type: 'summary', ...counts });
process.exit(0);
