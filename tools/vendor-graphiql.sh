#!/usr/bin/env bash
# Refreshes the GraphiQL page's assets, which the server embeds so that the page works offline: GraphiQL and React
# at the pinned versions below, fetched with `npm pack` (which checks each tarball against the registry's integrity
# hash), unpacked, and copied to api/assets/graphiql with their SHA-256 in SHA256SUMS. Run it after changing a
# version, and commit what it writes.
set -euo pipefail
cd "$(dirname "$0")/.."

GRAPHIQL=3.9.0
REACT=18.3.1

out=api/assets/graphiql
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for package in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$tmp/$package"
  tar xzf "$tmp/$package.tgz" -C "$tmp/$package"
done
mkdir -p "$out"
cp "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.js" "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.css" "$out/"
cp "$tmp/react-$REACT/package/umd/react.production.min.js" "$out/"
cp "$tmp/react-dom-$REACT/package/umd/react-dom.production.min.js" "$out/"
(cd "$out" && sha256sum graphiql.min.css graphiql.min.js react.production.min.js react-dom.production.min.js > SHA256SUMS)
echo "graphiql $GRAPHIQL, react $REACT" > "$out/VERSIONS"
cat "$out/SHA256SUMS"
