// A slow WebSocket subscriber: initialises, subscribes, then stops reading its socket for `pauseMs` before reading
// again. Prints the connection_ack, every non-`next` message, and a final count of `next` messages.
import WebSocket from 'ws';

const args = JSON.parse(process.argv[2]);
const ws = new WebSocket(args.url, 'graphql-transport-ws');
let nexts = 0;
const done = (line) => {
  console.log(JSON.stringify({ ...line, nexts }));
  process.exit(0);
};
const deadline = setTimeout(() => done({ type: 'timeout' }), args.timeoutMs ?? 30000);

ws.on('open', () => {
  ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${args.token}` } }));
});
ws.on('message', (data) => {
  const message = JSON.parse(data.toString());
  if (message.type === 'connection_ack') {
    console.log(JSON.stringify({ type: 'acked' }));
    ws.send(JSON.stringify({ type: 'subscribe', id: 'slow', payload: { query: args.query, variables: args.variables } }));
    ws._socket.pause();
    setTimeout(() => ws._socket.resume(), args.pauseMs);
  } else if (message.type === 'next') {
    nexts += 1;
  } else if (message.type === 'ping') {
    ws.send(JSON.stringify({ type: 'pong' }));
  } else {
    console.log(JSON.stringify({ type: 'message', message }));
    if (message.type === 'error' || message.type === 'complete') {
      clearTimeout(deadline);
      done({ type: 'end' });
    }
  }
});
ws.on('close', (code, reason) => done({ type: 'closed', code, reason: reason.toString() }));
