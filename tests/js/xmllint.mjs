// Validates an XML file against an XML schema with libxml2 (xmllint compiled to WebAssembly), for machines without
// Debian's libxml2-utils. Usage: node xmllint.mjs <schema.xsd> <file.xml>; every other .xsd beside the schema is
// preloaded for its imports. Exits 1 and prints libxml2's errors when the file is not valid.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import xmllint from 'xmllint-wasm';

const [schemaPath, xmlPath] = process.argv.slice(2);
const dir = dirname(schemaPath);
const preload = readdirSync(dir)
  .filter((name) => name.endsWith('.xsd') && name !== basename(schemaPath))
  .map((name) => ({ fileName: name, contents: readFileSync(join(dir, name), 'utf8') }));
const result = await xmllint.validateXML({
  xml: [{ fileName: basename(xmlPath), contents: readFileSync(xmlPath, 'utf8') }],
  schema: [{ fileName: basename(schemaPath), contents: readFileSync(schemaPath, 'utf8') }],
  preload,
});
if (result.valid) {
  console.log(`${basename(xmlPath)} validates`);
} else {
  console.error(result.rawOutput || result.errors.map((e) => e.rawMessage).join('\n'));
  process.exit(1);
}
