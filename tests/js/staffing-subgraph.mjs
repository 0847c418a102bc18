#!/usr/bin/env node
// A second Federation v2 subgraph ("staffing", schema in staffing-schema.mjs), driven as a
// subprocess by the Rust integration tests.
//
//   node staffing-subgraph.mjs '{"port":0}'        (port 0 or missing: any free port)
//
// Listens on 127.0.0.1 (Apollo's standalone server answers at every path, "/" included),
// prints {"type":"ready","url":"http://127.0.0.1:PORT/"} and serves until SIGTERM/SIGINT,
// then exits 0. On a startup failure prints {"type":"error","message":"..."} and exits 1.

import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { STAFFING_SDL, staffingResolvers, stderrLogger } from './staffing-schema.mjs';

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

let args;
try {
  args = JSON.parse(process.argv[2] ?? '{}');
} catch (err) {
  emit({ type: 'error', message: `bad argument: ${err.message}` });
  process.exit(2);
}

const server = new ApolloServer({
  schema: buildSubgraphSchema([{ typeDefs: parse(STAFFING_SDL), resolvers: staffingResolvers }]),
  logger: stderrLogger,
  // We handle the signals ourselves so the process exits 0 (Apollo would re-raise them).
  stopOnTerminationSignals: false,
});

// startStandaloneServer does not reject on a listen failure (e.g. EADDRINUSE): the server's
// 'error' event goes unhandled. Report it as a JSON line rather than only a stack trace.
process.on('uncaughtException', (err) => {
  emit({ type: 'error', message: String(err?.message ?? err) });
  process.exit(1);
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(0), 3000);
  force.unref();
  try {
    await server.stop();
  } catch {}
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

try {
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: Number(args.port ?? 0) },
  });
  emit({ type: 'ready', url });
} catch (err) {
  emit({ type: 'error', message: String(err?.message ?? err) });
  process.exit(1);
}
