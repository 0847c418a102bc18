// PostGraphile V5 (amber preset) on the benchmark database, the comparison server of bench/run.sh.
//
//   node bench/postgraphile.mjs postgres://postgres@127.0.0.1:5432/mutual_aid_bench 5678 [pool-size]
//
// Exposes the `public` schema as PostGraphile infers it from the tables and foreign keys of the project's
// migrations, with the same pool size as the API server (10 by default). One relation the dashboard query follows
// has no foreign key in the migrations (a deployment's assisting jurisdiction), so it is declared with a smart tag
// (`@foreignKey`) instead of altering the schema. GraphiQL is off and the schema is not watched.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { makeJSONPgSmartTagsPlugin } from "postgraphile/utils";

const [connectionString, portText = "5678", poolText = "10"] = process.argv.slice(2);
if (!connectionString) {
  console.error("usage: node bench/postgraphile.mjs <postgres-url> [port] [pool-size]");
  process.exit(2);
}
const port = Number(portText);

// Relations the migrations do not declare as foreign keys, declared to PostGraphile alone.
const SmartTags = makeJSONPgSmartTagsPlugin({
  version: 1,
  config: {
    class: {
      deployments: {
        tags: {
          foreignKey: [
            "(assisting_jurisdiction_id) references jurisdictions (id)|@fieldName assistingJurisdiction",
          ],
        },
      },
    },
  },
});

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [SmartTags],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: Number(poolText) },
      pubsub: false,
    }),
  ],
  grafserv: { port, graphiql: false, watch: false, maxRequestLength: 1_000_000 },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, "127.0.0.1", () => {
  console.log(`PostGraphile V5 on http://127.0.0.1:${port}/graphql`);
});
