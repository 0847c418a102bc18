// Parses the production compose file as Compose does (YAML 1.2 with merge keys) and prints it as one JSON line.
// Usage: node deployment.mjs <compose.yaml>
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const document = parse(readFileSync(process.argv[2], 'utf8'), { merge: true });
console.log(JSON.stringify(document));
