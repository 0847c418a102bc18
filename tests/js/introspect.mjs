// Reads the server's schema the way schema tools do: the introspection query graphql-js builds (every option on),
// turned back into a schema with buildClientSchema, then GraphQL Code Generator's TypeScript plugin against the
// URL. Usage: node introspect.mjs '{"url": "...", "token": "..."}'; prints one JSON line per step.
import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { generate } from '@graphql-codegen/cli';

const { url, token } = JSON.parse(process.argv[2]);
const headers = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
};
const query = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});
const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
const body = await response.json();
let sdl = null;
let buildError = null;
if (body.data) {
  try {
    sdl = printSchema(buildClientSchema(body.data));
  } catch (e) {
    buildError = String(e.message || e);
  }
}
console.log(JSON.stringify({ type: 'introspection', status: response.status, errors: body.errors ?? null, buildError, sdl }));
try {
  const files = await generate(
    { schema: { [url]: { headers } }, generates: { 'types.ts': { plugins: ['typescript'] } }, silent: true },
    false,
  );
  console.log(JSON.stringify({ type: 'codegen', files: files.map((f) => ({ filename: f.filename, content: f.content })) }));
} catch (e) {
  console.log(JSON.stringify({ type: 'codegen-error', message: String((e && e.message) || e) }));
}
