// Raw HTTP/1.x over a plain socket, for tests that must send exactly the
// bytes they mean (duplicate framing headers, no Host, %2F and dot segments,
// which fetch would normalize or refuse to send), and for slow clients.
//
//   const x = await rawExchange(srv, 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 });
//   x.responses[0].status, .headers (Map, lower-case names), .body (string), .json (parsed or null)
//   x.closed   true when the server closed the connection (before the timeout)
import net from 'node:net';

/**
 * Parses the complete responses at the start of BUF (a Buffer); ENDED says
 * the connection is closed (a body without Content-Length or chunking ends
 * there); METHODS are the requests' methods in order (answers to HEAD have no
 * body). Returns {responses, rest}: each {status, reason, headers, body, json}.
 */
export function parseResponses(buf, ended = false, methods = []) {
  const responses = [];
  let off = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (end < 0) break;
    const lines = buf.subarray(off, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const headers = new Map();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const name = l.slice(0, i).trim().toLowerCase();
      const value = l.slice(i + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const status = Number(m[1]);
    let pos = end + 4;
    let body;
    if (status === 100) { off = pos; continue; }
    if (methods[responses.length] === 'HEAD') {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers.get('transfer-encoding') || '')) {
      const parts = [];
      for (;;) {
        const nl = buf.indexOf('\r\n', pos, 'latin1');
        if (nl < 0) return { responses, rest: buf.subarray(off) };
        const size = parseInt(buf.subarray(pos, nl).toString('latin1'), 16);
        if (buf.length < nl + 2 + size + 2) return { responses, rest: buf.subarray(off) };
        parts.push(buf.subarray(nl + 2, nl + 2 + size));
        pos = nl + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else if (!headers.has('content-length') && status !== 204 && status !== 304) {
      if (!ended) break; /* delimited by the end of the connection */
      body = buf.subarray(pos);
      pos = buf.length;
    } else {
      const len = status === 204 || status === 304 ? 0 : Number(headers.get('content-length'));
      if (buf.length < pos + len) break;
      body = buf.subarray(pos, pos + len);
      pos += len;
    }
    const text = body.toString('utf8');
    let json = null;
    if (/json/.test(headers.get('content-type') || '') && text) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
    responses.push({ status, reason: m[2], headers, body: text, json });
    off = pos;
  }
  return { responses, rest: buf.subarray(off) };
}

/**
 * Connects to SRV, writes BYTES (string as latin1, or Buffer), and collects
 * what comes back until the server closes the connection, RESPONSES complete
 * responses have arrived (then waits GRACE ms more to see whether the server
 * closes), or TIMEOUT ms pass. METHODS: see parseResponses. Resolves
 * {responses, closed, raw, error}.
 */
export function rawExchange(srv, bytes, { responses: want = Infinity, grace = 300, timeout = 5000, methods = [] } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(srv.port, '127.0.0.1');
    const chunks = [];
    let closed = false;
    let error = null;
    let settled = false;
    let graceTimer = null;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      resolve({ ...parseResponses(raw, closed, methods), closed, raw: raw.toString('latin1'), error });
    };
    const timer = setTimeout(finish, timeout);
    sock.on('data', (d) => {
      chunks.push(d);
      if (graceTimer === null && parseResponses(Buffer.concat(chunks), false, methods).responses.length >= want) {
        graceTimer = setTimeout(finish, grace);
      }
    });
    sock.on('error', (e) => { error = e.code || e.message; });
    sock.on('close', () => { closed = true; finish(); });
    sock.on('end', () => { closed = true; });
    sock.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}
