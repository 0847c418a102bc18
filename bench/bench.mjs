// One section of bench/run.sh: checks one answer of every target, then measures each in turn with autocannon and
// prints requests per second, p50 and p99 latency, and the ratio to the first target.
//
//   node bench/bench.mjs dashboard|dashboard-c1|lookup|writes
//
// Configuration comes from the environment (bench/run.sh sets it): API_URL, POSTGRAPHILE_URL, STATIC_URL,
// COORDINATOR_TOKEN, REPRESENTATIVE_TOKEN, COMPACT_ID, JURISDICTION_ID, RESOURCE_TYPE_IDS (comma-separated),
// DURATION (seconds, 15), WARMUP (seconds, 3), CONNECTIONS (32), PGBENCH_URL (a scratch database for pgbench).
import { execFileSync } from "node:child_process";
import autocannon from "autocannon";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`bench.mjs: ${name} is not set`);
    process.exit(2);
  }
  return value;
};
const DURATION = Number(env("DURATION", "15"));
const WARMUP = Number(env("WARMUP", "3"));
const CONNECTIONS = Number(env("CONNECTIONS", "32"));

const dashboardQuery = `query Dashboard($compactId: ID!, $first: Int!) {
  resourceRequests(first: $first, filter: { compactId: $compactId }) {
    nodes {
      id requestNumber status priority requestedAt updatedAt
      requestingJurisdiction { id name }
      incident { id name }
      lineItems { id position quantity resourceType { id name } }
      offers { id status assistingJurisdiction { id name } }
      deployments { id status assistingJurisdiction { id name } }
    }
  }
}`;

// The same page on PostGraphile: most recently changed first (the API's default order), the id breaking ties.
const postgraphileDashboardQuery = `query Dashboard($compactId: UUID!, $first: Int!) {
  allResourceRequests(first: $first, condition: { compactId: $compactId }, orderBy: [UPDATED_AT_DESC, PRIMARY_KEY_DESC]) {
    nodes {
      rowId requestNumber status priority requestedAt updatedAt
      jurisdictionByRequestingJurisdictionId { rowId name }
      incidentByIncidentId { rowId name }
      requestLineItemsByRequestId(orderBy: [POSITION_ASC]) { nodes { rowId position quantity resourceTypeByResourceTypeId { rowId name } } }
      offersByRequestId { nodes { rowId status jurisdictionByAssistingJurisdictionId { rowId name } } }
      deploymentsByRequestId { nodes { rowId status assistingJurisdiction { rowId name } } }
    }
  }
}`;

const graphql = (url, query, variables, token) => ({
  url,
  headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify({ query, variables }),
});

/** Sends one request and refuses to go on unless it answers data without errors; returns a one-line summary. */
async function check(label, target, describe) {
  const response = await fetch(target.url, { method: "POST", headers: target.headers, body: target.body });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${label}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || json.errors || !json.data) {
    throw new Error(`${label}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  return describe ? describe(json.data) : "";
}

function run(target, connections, duration, setupRequest) {
  return new Promise((resolve, reject) => {
    const options = {
      url: target.url,
      method: "POST",
      headers: target.headers,
      body: target.body,
      connections,
      duration,
      pipelining: 1,
      timeout: 30,
    };
    if (setupRequest) options.requests = [{ setupRequest }];
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

/** Measures the targets one after the other; each gets a warm-up first. */
async function measure(title, targets, connections) {
  console.log(`\n${title} (c=${connections}, ${DURATION} s each after a ${WARMUP} s warm-up)`);
  console.log(`  ${"target".padEnd(44)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}  ratio  errors`);
  const rows = [];
  for (const t of targets) {
    if (WARMUP > 0) await run(t.target, connections, WARMUP, t.setupRequest);
    const r = await run(t.target, connections, DURATION, t.setupRequest);
    const rps = r.requests.average;
    const failed = r.errors + r.timeouts + r.non2xx;
    rows.push({ label: t.label, rps, p50: r.latency.p50, p99: r.latency.p99, failed });
    const ratio = rows[0].rps > 0 ? rps / rows[0].rps : NaN;
    console.log(
      `  ${t.label.padEnd(44)} ${fmt(rps).padStart(9)} ${fmt(r.latency.p50).padStart(8)} ${fmt(r.latency.p99).padStart(8)}  ${fmt(ratio, 2).padStart(5)}  ${failed}`,
    );
  }
  return rows;
}

const rowsOf = (data) => {
  const nodes = data.resourceRequests?.nodes ?? data.allResourceRequests?.nodes ?? [];
  const count = (field) =>
    nodes.reduce((n, r) => n + (Array.isArray(r[field]) ? r[field].length : (r[field]?.nodes?.length ?? 0)), 0);
  const lines = count("lineItems") || count("requestLineItemsByRequestId");
  const offers = count("offers") || count("offersByRequestId");
  const deployments = count("deployments") || count("deploymentsByRequestId");
  return `${nodes.length} requests, ${lines} line items, ${offers} offers, ${deployments} deployments, first ${nodes[0]?.requestNumber}`;
};

async function dashboardTargets(first) {
  const compactId = env("COMPACT_ID");
  const ours = graphql(env("API_URL"), dashboardQuery, { compactId, first }, env("COORDINATOR_TOKEN"));
  const theirs = graphql(env("POSTGRAPHILE_URL"), postgraphileDashboardQuery, { compactId, first });
  const a = await check("mutual-aid dashboard", ours, rowsOf);
  const b = await check("PostGraphile dashboard", theirs, rowsOf);
  console.log(`  check first=${first}: mutual-aid ${a}\n  check first=${first}: PostGraphile ${b}`);
  return [
    { label: `mutual-aid resourceRequests(first: ${first})`, target: ours },
    { label: `PostGraphile allResourceRequests(first: ${first})`, target: theirs },
  ];
}

async function dashboard() {
  await measure("dashboard page: 50 requests of a compact with their relations", await dashboardTargets(50), CONNECTIONS);
}

async function dashboardC1() {
  for (const first of [10, 50, 100]) {
    await measure(`dashboard page, first ${first}, one connection`, await dashboardTargets(first), 1);
  }
}

async function lookup() {
  const id = env("JURISDICTION_ID");
  const ours = graphql(
    env("API_URL"),
    "query Lookup($id: ID!) { jurisdiction(id: $id) { name } }",
    { id },
    env("COORDINATOR_TOKEN"),
  );
  const theirs = graphql(
    env("POSTGRAPHILE_URL"),
    "query Lookup($id: UUID!) { jurisdictionByRowId(rowId: $id) { name } }",
    { id },
  );
  const fixed = graphql(env("STATIC_URL"), "query Lookup($id: ID!) { jurisdiction(id: $id) { name } }", { id });
  const name = (d) => (d.jurisdiction ?? d.jurisdictionByRowId)?.name;
  console.log(
    `  check: mutual-aid ${await check("mutual-aid lookup", ours, name)}, PostGraphile ${await check("PostGraphile lookup", theirs, name)}, static ${await check("static", fixed, name)}`,
  );
  await measure(
    "lookup: jurisdiction(id:) { name }",
    [
      { label: "mutual-aid jurisdiction(id:)", target: ours },
      { label: "PostGraphile jurisdictionByRowId(rowId:)", target: theirs },
      { label: "static axum handler", target: fixed },
    ],
    CONNECTIONS,
  );
}

function pgbench(args) {
  const out = execFileSync("pgbench", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const tps = Number(/tps = ([0-9.]+)/.exec(out)?.[1]);
  const latency = Number(/latency average = ([0-9.]+) ms/.exec(out)?.[1]);
  return { tps, latency };
}

async function writes() {
  const types = env("RESOURCE_TYPE_IDS").split(",").filter(Boolean);
  const mutation = `mutation Set($input: SetInventoryInput!) { setInventory(input: $input) { inventoryItem { id quantityHeld version } } }`;
  const body = (n) =>
    JSON.stringify({
      query: mutation,
      variables: { input: { resourceTypeId: types[n % types.length], quantityHeld: 10 + (n % 50), quantityAvailable: 5 } },
    });
  const target = graphql(env("API_URL"), mutation, {}, env("REPRESENTATIVE_TOKEN"));
  target.body = body(0);
  console.log(`  check: ${await check("setInventory", target, (d) => `version ${d.setInventory.inventoryItem.version}`)}`);
  // Each request sets another (jurisdiction, resource type) row, round robin over the resource types.
  let n = 0;
  const setupRequest = (request) => ({ ...request, body: body(n++) });
  const pgUrl = env("PGBENCH_URL");
  const results = [];
  for (const [connections, jobs] of [
    [1, 1],
    [CONNECTIONS, 2],
  ]) {
    const [ours] = await measure(
      `writes: setInventory as a representative (${types.length} resource types round robin)`,
      [{ label: "mutual-aid setInventory", target, setupRequest }],
      connections,
    );
    const bench = pgbench(["-N", "-n", "-c", String(connections), "-j", String(jobs), "-T", String(DURATION), pgUrl]);
    console.log(
      `  ${"pgbench -N (simple update, no vacuum)".padEnd(44)} ${fmt(bench.tps).padStart(9)} ${"".padStart(8)} ${"".padStart(8)}  avg latency ${fmt(bench.latency, 2)} ms`,
    );
    console.log(`  setInventory / pgbench -N at c=${connections}: ${fmt(ours.rps / bench.tps, 3)}`);
    results.push({ connections, ours, bench });
  }
}

const sections = { dashboard, "dashboard-c1": dashboardC1, lookup, writes };
const section = sections[process.argv[2]];
if (!section) {
  console.error(`usage: node bench/bench.mjs ${Object.keys(sections).join("|")}`);
  process.exit(2);
}
try {
  await section();
} catch (error) {
  console.error(`bench.mjs: ${error.message}`);
  process.exit(1);
}
