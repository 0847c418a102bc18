#!/usr/bin/env node
// A real SMTP server for the e-mail tests, driven as a subprocess by the Rust integration tests.
//
//   node smtp-sink.mjs '{"rejectFirst":0,"timeoutMs":60000}'
//
// Listens on 127.0.0.1 on a free port, accepts any sender and recipient without authentication,
// parses each message with mailparser, and writes one JSON object per line to stdout:
//   {"type":"listening","port":N}
//   {"type":"message","from":"...","to":["..."],"subject":"...","text":"..."}
//   {"type":"rejected","count":N}   (a message refused on purpose, with 451, while rejectFirst lasts)
// It exits when stdin closes or at timeoutMs.

import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const options = JSON.parse(process.argv[2] ?? '{}');
let rejectLeft = options.rejectFirst ?? 0;
let rejected = 0;
const print = (object) => process.stdout.write(JSON.stringify(object) + '\n');

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', async () => {
      if (rejectLeft > 0) {
        rejectLeft -= 1;
        rejected += 1;
        print({ type: 'rejected', count: rejected });
        const error = new Error('try again later');
        error.responseCode = 451;
        return callback(error);
      }
      const mail = await simpleParser(Buffer.concat(chunks));
      print({
        type: 'message',
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        subject: mail.subject ?? '',
        text: mail.text ?? '',
      });
      callback();
    });
  },
});

server.listen(0, '127.0.0.1', () => print({ type: 'listening', port: server.server.address().port }));
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
setTimeout(() => server.close(() => process.exit(0)), options.timeoutMs ?? 60000).unref();
