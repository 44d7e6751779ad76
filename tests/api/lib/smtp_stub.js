// A tiny SMTP server for end-to-end tests of outgoing mail (password reset,
// order confirmations). Loopback only, a free port, no TLS, no AUTH.
//
//   const smtp = await startSmtpStub();            // or startSmtpStub({ fail: true })
//   // start souk with SOUK_SMTP_URL=`smtp://127.0.0.1:${smtp.port}`
//   const [msg] = await smtp.waitForMessages(1);
//   msg.from, msg.to (array), msg.subject, msg.headers['message-id'], msg.body, msg.raw
//   smtp.fail = true;                              // answer 451 to the end of DATA from now on
//   await smtp.stop();
//
// Speaks what libcurl needs: 220 greeting, EHLO/HELO → 250, MAIL/RCPT → 250,
// DATA → 354, "." → 250 (or 451 4.3.0 when failing), RSET/NOOP → 250,
// QUIT → 221, anything else → 502. Dot-stuffing is undone; headers are
// unfolded and RFC 2047 encoded-words decoded; quoted-printable bodies are
// decoded, so tests compare plain text.
import net from 'node:net';

const MAX_LINE = 8192;
const MAX_MESSAGE = 1 << 20;

function decodeWords(value) {
  return value
    .replace(/\?=\s+=\?/g, '?==?') // whitespace between adjacent encoded-words is not text
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset, enc, text) => {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return bytes.toString(/^utf-?8$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

function decodeQuotedPrintable(text) {
  const soft = text.replace(/=\r\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], 'latin1'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Splits a raw RFC 5322 message (CRLF lines, as received) into headers and body. */
export function parseMessage(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? '' : raw.slice(split + 4);
  const headers = {};
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  if ((headers['content-transfer-encoding'] || '').toLowerCase() === 'quoted-printable') body = decodeQuotedPrintable(body);
  return { headers, body };
}

/**
 * Starts the stub on 127.0.0.1 and a free port.
 * @param {{fail?: boolean}} [opts] fail: answer 451 at the end of DATA (the message is not kept)
 * @returns {Promise<{port: number, messages: object[], fail: boolean, attempts: number,
 *   waitForMessages(n: number, timeoutMs?: number): Promise<object[]>, stop(): Promise<void>}>}
 */
export async function startSmtpStub({ fail = false } = {}) {
  const sockets = new Set();
  const stub = {
    port: 0,
    messages: [],
    fail,
    attempts: 0, // DATA transfers completed by clients, accepted or not
    waiters: [],
    async waitForMessages(n, timeoutMs = 10000) {
      if (stub.messages.length >= n) return stub.messages;
      return new Promise((resolve, reject) => {
        const w = { n, resolve, timer: null };
        w.timer = setTimeout(() => {
          stub.waiters = stub.waiters.filter((x) => x !== w);
          reject(new Error(`SMTP stub: ${stub.messages.length} of ${n} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        stub.waiters.push(w);
      });
    },
    stop() {
      for (const w of stub.waiters) clearTimeout(w.timer);
      stub.waiters = [];
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };

  function deliver(msg) {
    stub.messages.push(msg);
    stub.waiters = stub.waiters.filter((w) => {
      if (stub.messages.length < w.n) return true;
      clearTimeout(w.timer);
      w.resolve(stub.messages);
      return false;
    });
  }

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let inData = false;
    let dataLines = [];
    let dataSize = 0;
    let envelope = { from: null, to: [] };
    const say = (line) => { if (!socket.destroyed) socket.write(line + '\r\n'); };

    function onLine(line) {
      if (inData) {
        if (line === '.') {
          inData = false;
          stub.attempts++;
          const raw = dataLines.join('\r\n') + (dataLines.length ? '\r\n' : '');
          dataLines = [];
          if (stub.fail) {
            say('451 4.3.0 try again later');
          } else {
            const { headers, body } = parseMessage(raw);
            deliver({ from: envelope.from, to: envelope.to, raw, headers, subject: headers.subject, body });
            say('250 2.0.0 queued');
          }
          envelope = { from: null, to: [] };
          return;
        }
        dataSize += line.length + 2;
        if (dataSize > MAX_MESSAGE) { say('552 message too large'); socket.destroy(); return; }
        dataLines.push(line.startsWith('.') ? line.slice(1) : line); // undo dot-stuffing
        return;
      }
      const verb = line.slice(0, 4).toUpperCase();
      const addr = (s) => (s.match(/<([^>]*)>/) || [null, s.trim()])[1];
      if (verb === 'EHLO' || verb === 'HELO') say(verb === 'EHLO' ? '250-stub\r\n250 8BITMIME' : '250 stub');
      else if (/^MAIL FROM:/i.test(line)) { envelope = { from: addr(line.slice(10)), to: [] }; say('250 2.1.0 ok'); }
      else if (/^RCPT TO:/i.test(line)) { envelope.to.push(addr(line.slice(8))); say('250 2.1.5 ok'); }
      else if (verb === 'DATA') { inData = true; dataSize = 0; say('354 end with <CRLF>.<CRLF>'); }
      else if (verb === 'RSET') { envelope = { from: null, to: [] }; say('250 ok'); }
      else if (verb === 'NOOP') say('250 ok');
      else if (verb === 'QUIT') { say('221 bye'); socket.end(); }
      else say('502 5.5.1 not implemented');
    }

    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let nl;
      while ((nl = buf.indexOf(0x0a)) >= 0) {
        let line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        onLine(line);
        if (socket.destroyed) return;
      }
      if (buf.length > MAX_LINE) { say('500 line too long'); socket.destroy(); }
    });
    say('220 stub ESMTP');
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  stub.port = server.address().port;
  return stub;
}
