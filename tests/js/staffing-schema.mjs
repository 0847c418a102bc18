// The "staffing" Federation v2 subgraph, shared by staffing-subgraph.mjs (which serves it)
// and compose.mjs (which composes it with our "missions" subgraph without running it).

export const STAFFING_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Jurisdiction @key(fields: "id") {
    id: ID!
    volunteerCount: Int!
  }

  type Query {
    staffingVersion: String!
  }
`;

export const STAFFING_VERSION = 'staffing-test-1';

// Deterministic, so the Rust tests can compute the expected value: the sum of the UTF-16
// code units (`charCodeAt`) of the id, modulo 100. E.g. "1" -> 49, "ab" -> 195 % 100 = 95.
export function volunteerCount(id) {
  const s = String(id);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
  return sum % 100;
}

export const staffingResolvers = {
  Query: {
    staffingVersion: () => STAFFING_VERSION,
  },
  Jurisdiction: {
    __resolveReference: ({ id }) => ({ id }),
    volunteerCount: ({ id }) => volunteerCount(id),
  },
};

// A logger for Apollo Server / Gateway that keeps stdout free for our JSON lines.
export const stderrLogger = {
  debug: () => {},
  info: (...a) => console.error('[info]', ...a),
  warn: (...a) => console.error('[warn]', ...a),
  error: (...a) => console.error('[error]', ...a),
};
