// A raw WebSocket peer for protocol edge cases: sends the given messages (after an optional delay each) and prints
// every message received and the close code, one JSON object per line.
import WebSocket from 'ws';

const args = JSON.parse(process.argv[2]);
const ws = new WebSocket(args.url, args.protocol);
const deadline = setTimeout(() => { console.log(JSON.stringify({ type: 'timeout' })); process.exit(0); }, args.timeoutMs ?? 10000);

ws.on('open', async () => {
  for (const step of args.send ?? []) {
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    ws.send(JSON.stringify(step.message));
  }
});
ws.on('message', (data) => console.log(JSON.stringify({ type: 'message', message: JSON.parse(data.toString()) })));
ws.on('close', (code, reason) => {
  console.log(JSON.stringify({ type: 'closed', code, reason: reason.toString() }));
  clearTimeout(deadline);
  process.exit(0);
});
ws.on('error', (err) => console.log(JSON.stringify({ type: 'error', message: String(err) })));
