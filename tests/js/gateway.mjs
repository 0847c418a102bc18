#!/usr/bin/env node
// Runs one operation through an Apollo Gateway (@apollo/gateway + @apollo/server 4) in front
// of our "missions" subgraph and the "staffing" subgraph (staffing-subgraph.mjs). Driven as a
// subprocess by the Rust integration tests.
//
//   node gateway.mjs '{"missions":"http://127.0.0.1:PORT/graphql","staffing":"http://127.0.0.1:PORT2/",
//                      "token":"<jwt>","query":"{ ... }","variables":{},"timeoutMs":20000}'
//
// The gateway composes with IntrospectAndCompose, which POSTs
// {"query":"query __ApolloGetServiceDefinition__ { _service { sdl } }"} to each subgraph through
// the same RemoteGraphQLDataSource as the operations, so every subgraph request - the SDL
// fetch included - carries "Authorization: Bearer <token>" when a token is given (null or
// missing: no Authorization header).
//
// Prints one line and exits 0:
//   {"type":"result","body":{"data":...,"errors":[...]}}   (Apollo's singleResult)
//   {"type":"error","message":"..."}                        (gateway failed to start, timeout, ...)
// (exit 2 for a malformed argument).

import { ApolloServer } from '@apollo/server';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { stderrLogger } from './staffing-schema.mjs';

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const message = (err) => String(err?.message ?? err);

let args;
try {
  args = JSON.parse(process.argv[2] ?? '');
  for (const k of ['missions', 'staffing', 'query']) {
    if (typeof args?.[k] !== 'string') throw new Error(`"${k}" is required`);
  }
} catch (err) {
  emit({ type: 'error', message: `bad argument: ${message(err)}` });
  process.exit(2);
}

const token = args.token ?? null;

const deadline = setTimeout(() => {
  emit({ type: 'error', message: `timeout after ${args.timeoutMs ?? 20000} ms` });
  process.exit(0);
}, args.timeoutMs ?? 20000);

const gateway = new ApolloGateway({
  logger: stderrLogger,
  supergraphSdl: new IntrospectAndCompose({
    subgraphs: [
      { name: 'missions', url: args.missions },
      { name: 'staffing', url: args.staffing },
    ],
  }),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request }) {
        if (token) request.http.headers.set('Authorization', `Bearer ${token}`);
      },
    }),
});

const server = new ApolloServer({
  gateway,
  logger: stderrLogger,
  stopOnTerminationSignals: false,
  includeStacktraceInErrorResponses: false,
});

async function finish(line) {
  emit(line);
  clearTimeout(deadline);
  try {
    await server.stop();
  } catch {}
  process.exit(0);
}

try {
  await server.start();
} catch (err) {
  await finish({ type: 'error', message: message(err) });
}

try {
  const response = await server.executeOperation({
    query: args.query,
    variables: args.variables ?? undefined,
  });
  if (response.body.kind === 'single') {
    await finish({ type: 'result', body: response.body.singleResult });
  } else {
    await finish({ type: 'error', message: `unexpected response kind ${response.body.kind}` });
  }
} catch (err) {
  await finish({ type: 'error', message: message(err) });
}
