// Starts GraphiQL against this server: queries and mutations over HTTP at /graphql, subscriptions over WebSocket at
// the same path (graphql-transport-ws). Headers typed in the headers pane (such as Authorization) go with every
// HTTP request and in the WebSocket's connection_init.
(function () {
  const url = new URL('/graphql', window.location.origin);
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: url.toString(), subscriptionUrl: subscriptionUrl.toString() }),
      defaultEditorToolsVisibility: true,
    }),
  );
})();
