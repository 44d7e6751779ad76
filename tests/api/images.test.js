// Product images (docs/images.md): upload through POST /api/v1/products/{id}/images, the derive
// job's sizes served under /media/ with immutable caching, srcset in the product JSON, the
// storefront's <picture>, and hostile files refused with a 4xx (never a 500). The photos are made
// here: a PNG written with node:zlib, turned into JPEG and WebP by Debian's `vips` command
// (libvips-tools, scripts/deps.sh); the hostile files are built byte by byte.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { sleep, token } from './lib/util.js';

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A PNG whose IHDR says W×H, with RAW (already filtered rows) as its IDAT. */
function pngRaw(w, h, raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([PNG_SIG, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
/** A W×H RGB gradient (a seed moves its colours). */
function png(w, h, seed = 0) {
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) {
    const row = y * (1 + 3 * w);
    for (let x = 0; x < w; x++) {
      raw[row + 1 + 3 * x] = (x * 255 / w + seed) & 0xff;
      raw[row + 2 + 3 * x] = (y * 255 / h) & 0xff;
      raw[row + 3 + 3 * x] = (seed * 7) & 0xff;
    }
  }
  return pngRaw(w, h, raw);
}

let work;
/** SRC (a PNG) converted by the vips command to NAME (the suffix picks the format). */
function convert(src, name) {
  const from = path.join(work, `${token()}.png`), to = path.join(work, name);
  writeFileSync(from, src);
  const r = spawnSync('vips', ['copy', from, to], { encoding: 'utf8' });
  assert.equal(r.status, 0, `vips copy ${name}: ${r.stderr}`);
  return readFileSync(to);
}
/** JPEG BYTES with an APP1 Exif segment (a TIFF header, and text that stands for a GPS position) after SOI. */
function withExif(jpeg) {
  const tiff = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from('GPS 52.5200N 13.4050E secret-location', 'latin1')]);
  const len = Buffer.alloc(2); len.writeUInt16BE(tiff.length + 2);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1]), len, tiff, jpeg.subarray(2)]);
}

const MAGIC = { jpg: [0xff, 0xd8, 0xff], png: [0x89, 0x50, 0x4e, 0x47], webp: [0x52, 0x49, 0x46, 0x46], gif: [0x47, 0x49, 0x46] };
const TYPE = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };

describe('product images', () => {
  let srv, mediaDir, photoPng, photoJpg, photoWebp;

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'souk-images-'));
    mediaDir = path.join(work, 'media');
    srv = await startServer({ env: { SOUK_MEDIA_DIR: mediaDir } });
    photoPng = png(1200, 800, 1);
    photoJpg = withExif(convert(png(1200, 800, 2), 'photo.jpg'));
    photoWebp = convert(png(1000, 600, 3), 'photo.webp');
  });
  after(async () => {
    if (srv) await srv.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const newProduct = async () => {
    const r = await api(srv, 'POST', '/api/v1/products', { key: true, body: { title: `Pictured ${token()}`, status: 'active' } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const upload = (id, bytes, type, query = '') => api(srv, 'POST', `/api/v1/products/${id}/images${query}`,
    { key: true, rawBody: bytes, headers: type === null ? {} : { 'Content-Type': type } });
  /** The product once every image has its srcset (the derive job ran). */
  async function derived(id) {
    const t0 = Date.now();
    for (;;) {
      const r = await api(srv, 'GET', `/api/v1/products/${id}`, { key: true });
      assert.equal(r.status, 200);
      if (r.body.images.length && r.body.images.every((i) => i.srcset)) return r.body;
      if (Date.now() - t0 > 60000) assert.fail(`images of ${id} not derived: ${JSON.stringify(r.body.images)}`);
      await sleep(100);
    }
  }
  const media = (url) => fetch(srv.url + url);

  it('takes PNG, JPEG and WebP uploads and serves their derived sizes with immutable caching', async () => {
    const p = await newProduct();
    const cases = [['png', photoPng, 1200], ['jpg', photoJpg, 1200], ['webp', photoWebp, 1000]];
    for (const [ext, bytes] of cases) {
      const r = await upload(p.id, bytes, TYPE[ext], ext === 'png' ? '?alt=A%20red%20chair' : '');
      assert.equal(r.status, 201, r.text);
      assert.match(r.headers.get('location'), new RegExp(`/api/v1/products/${p.id}$`));
    }
    const prod = await derived(p.id);
    assert.equal(prod.images.length, 3);
    assert.equal(prod.images[0].alt, 'A red chair');
    for (const [i, [ext, , width]] of cases.entries()) {
      const img = prod.images[i];
      assert.equal(img.width, width);
      assert.match(img.url, new RegExp(`^/media/[0-9a-f]{32}\\.${ext}$`));
      const want = width >= 960 ? [160, 480, 960] : [160, 480, width];
      assert.deepEqual(img.srcset.webp.map((s) => s.width), want);
      assert.deepEqual(img.srcset.original.map((s) => s.width), want);
      for (const s of [...img.srcset.webp, ...img.srcset.original, { url: img.url }]) {
        const e = s.url.split('.').pop();
        const res = await media(s.url);
        assert.equal(res.status, 200, s.url);
        assert.equal(res.headers.get('content-type'), TYPE[e], s.url);
        assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        const body = Buffer.from(await res.arrayBuffer());
        assert.deepEqual([...body.subarray(0, MAGIC[e].length)], MAGIC[e], `${s.url} is a ${e}`);
        if (e === 'png' && s.width) assert.equal(body.readUInt32BE(16), s.width, `${s.url} is ${s.width} wide`);
      }
    }
    // the stored JPEG lost its Exif segment and the text inside it
    const jpg = Buffer.from(await (await media(prod.images[1].url)).arrayBuffer());
    assert.equal(jpg.indexOf('Exif'), -1);
    assert.equal(jpg.indexOf('secret-location'), -1);
    // the list's summary carries the first image with its srcset too
    const list = await api(srv, 'GET', `/api/v1/products?limit=50`);
    const mine = list.body.data.find((s) => s.id === p.id);
    assert.ok(mine && mine.image && mine.image.srcset, 'the summary shows the derived first image');
  });

  it('stores the same bytes once: the same image again is 200 and one file', async () => {
    const bytes = png(300, 200, 9);
    const a = await newProduct(), b = await newProduct();
    assert.equal((await upload(a.id, bytes, 'image/png')).status, 201);
    const again = await upload(a.id, bytes, 'image/png');
    assert.equal(again.status, 200);
    assert.equal(again.body.images.length, 1);
    assert.equal((await upload(b.id, bytes, 'image/png')).status, 201);
    const pa = await derived(a.id), pb = await derived(b.id);
    assert.equal(pa.images[0].url, pb.images[0].url);
    const hash = pa.images[0].url.slice(7, 39);
    const files = readdirSync(mediaDir).filter((f) => f.startsWith(hash));
    assert.deepEqual(files.sort(), [`${hash}-160.png`, `${hash}-160.webp`, `${hash}-300.png`, `${hash}-300.webp`, `${hash}.png`],
      'one original and each derived size once, never wider than the 300 px original');
  });

  it('deletes an image', async () => {
    const p = await newProduct();
    const up = await upload(p.id, png(200, 200, 11), 'image/png');
    const img = up.body.images[0];
    const r = await api(srv, 'DELETE', `/api/v1/products/${p.id}/images/${img.id}`, { key: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.images.length, 0);
    expectError(await api(srv, 'DELETE', `/api/v1/products/${p.id}/images/${img.id}`, { key: true }), 404, 'NOT_FOUND');
  });

  it('refuses hostile and broken files with a 4xx', async () => {
    const p = await newProduct();
    const jpg = convert(png(64, 64, 5), 'small.jpg');
    const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(40, 1), Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    const wide = Buffer.alloc(20000 * 3 + 1); // one row of a 20000×1 PNG: too long a side
    const cases = [
      ['truncated JPEG', jpg.subarray(0, Math.floor(jpg.length / 2)), 'image/jpeg', 422],
      ['truncated PNG', photoPng.subarray(0, photoPng.length - 100), 'image/png', 422],
      ['JPEG header then HTML', Buffer.concat([jpg.subarray(0, 20), Buffer.from('<html><script>alert(1)</script></html>'), Buffer.from([0xff, 0xd9])]), 'image/jpeg', 422],
      ['JPEG with a ZIP after it', Buffer.concat([jpg, zip]), 'image/jpeg', 422],
      ['a ZIP', zip, 'image/png', 422],
      ['decompression bomb (50000×50000 PNG)', pngRaw(50000, 50000, Buffer.alloc(1000)), 'image/png', 413],
      ['too long a side (20000×1 PNG)', pngRaw(20000, 1, wide), 'image/png', 413],
      ['SVG with script as PNG', svg, 'image/png', 422],
      ['SVG with script as SVG', svg, 'image/svg+xml', 415],
      ['PNG sent as JPEG', photoPng, 'image/jpeg', 415],
      ['text/plain', photoPng, 'text/plain', 415],
      ['no Content-Type', photoPng, null, 415],
      ['empty body', Buffer.alloc(0), 'image/png', 422],
      ['over the size limit', Buffer.concat([photoPng, Buffer.alloc(10 * 1024 * 1024)]), 'image/png', 413],
    ];
    for (const [what, bytes, type, status] of cases) {
      const r = await upload(p.id, bytes, type);
      assert.equal(r.status, status, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
    }
    const after = await api(srv, 'GET', `/api/v1/products/${p.id}`, { key: true });
    assert.equal(after.body.images.length, 0, 'nothing refused was recorded');
    expectError(await upload('prod_0000000000000', photoPng, 'image/png'), 404, 'NOT_FOUND');
    expectError(await upload(p.id, photoPng, 'image/png', '?colour=red'), 422, 'VALIDATION_ERROR', 'colour');
  });

  /** A FormData body encoded as fetch encodes it: {bytes, type} (type carries the boundary). */
  async function encoded(fd) {
    const req = new Request('http://form.invalid/', { method: 'POST', body: fd });
    return { bytes: Buffer.from(await req.arrayBuffer()), type: req.headers.get('content-type') };
  }
  /** A multipart/form-data body written by hand with BOUNDARY from PARTS ([headers text, data]). */
  const handForm = (boundary, parts, close = true) => Buffer.concat([
    ...parts.flatMap(([h, d]) => [Buffer.from(`--${boundary}\r\n${h}\r\n\r\n`, 'latin1'), Buffer.from(d), Buffer.from('\r\n')]),
    Buffer.from(close ? `--${boundary}--\r\n` : '', 'latin1'),
  ]);
  const fileHead = (type = 'image/png', name = 'file') => `Content-Disposition: form-data; name="${name}"; filename="chair.png"\r\nContent-Type: ${type}`;

  it('takes a multipart/form-data upload built with FormData, with its alt field, as the same bytes sent raw', async () => {
    const p = await newProduct();
    const bytes = png(320, 240, 21);
    const fd = new FormData();
    fd.append('alt', 'A chair, uploaded from a form');
    fd.append('file', new Blob([bytes], { type: 'image/png' }), 'chair.png');
    const form = await encoded(fd);
    assert.match(form.type, /^multipart\/form-data; boundary=/);
    const r = await upload(p.id, form.bytes, form.type);
    assert.equal(r.status, 201, r.text.slice(0, 300));
    assert.equal(r.body.images.length, 1);
    assert.equal(r.body.images[0].alt, 'A chair, uploaded from a form');
    assert.equal(r.body.images[0].width, 320);
    assert.equal(r.body.images[0].height, 240);
    // the part's bytes are exactly the file: the raw upload of the same bytes is that image again
    const again = await upload(p.id, bytes, 'image/png');
    assert.equal(again.status, 200, again.text.slice(0, 300));
    assert.equal(again.body.images.length, 1);
    // a JPEG without alt, the alt then from the query; and the stored original is served
    const jfd = new FormData();
    jfd.append('file', new Blob([convert(png(200, 100, 22), 'form.jpg')], { type: 'image/jpeg' }), 'form.jpg');
    const jf = await encoded(jfd);
    const j = await upload(p.id, jf.bytes, jf.type, '?alt=From%20the%20query');
    assert.equal(j.status, 201, j.text.slice(0, 300));
    assert.equal(j.body.images[1].alt, 'From the query');
    const served = await media(j.body.images[1].url);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'image/jpeg');
    // a preamble, an epilogue, a quoted boundary and transport padding are all RFC 2046
    const b = 'x-Souk (test) boundary';
    const body = Buffer.concat([Buffer.from('a preamble\r\n'), handForm(b, [[fileHead(), png(64, 64, 23)]]).subarray(0, -2),
      Buffer.from(' \t\r\nan epilogue')]);
    const hand = await upload(p.id, body, `multipart/form-data; charset=utf-8; boundary="${b}"`);
    assert.equal(hand.status, 201, hand.text.slice(0, 300));
    assert.equal(hand.body.images.length, 3);
  });

  it('refuses malformed, oversized and mistyped multipart bodies with 400, 413, 415 or 422', async () => {
    const p = await newProduct();
    const img = png(50, 50, 24);
    const B = 'b0undary';
    const T = `multipart/form-data; boundary=${B}`;
    const ok = handForm(B, [[fileHead(), img]]);
    assert.equal((await upload(p.id, ok, T)).status, 201, 'the hand-written form itself is fine');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const cases = [
      ['no boundary parameter', ok, 'multipart/form-data', 400, 'BAD_REQUEST'],
      ['a boundary over 70 characters', ok, `multipart/form-data; boundary=${'a'.repeat(71)}`, 400, 'BAD_REQUEST'],
      ['another boundary than the body\'s', ok, 'multipart/form-data; boundary=other', 400, 'BAD_REQUEST'],
      ['no close delimiter', handForm(B, [[fileHead(), img]], false), T, 400, 'BAD_REQUEST'],
      ['cut in the middle of the file', ok.subarray(0, 200), T, 400, 'BAD_REQUEST'],
      ['a part without Content-Disposition', handForm(B, [['Content-Type: image/png', img]]), T, 400, 'BAD_REQUEST'],
      ['a part without headers', Buffer.concat([Buffer.from(`--${B}\r\n\r\n`), img, Buffer.from(`\r\n--${B}--\r\n`)]), T, 400, 'BAD_REQUEST'],
      ['a disposition other than form-data', handForm(B, [['Content-Disposition: attachment; name="file"\r\nContent-Type: image/png', img]]), T, 400, 'BAD_REQUEST'],
      ['headers ending in bare LF', Buffer.from(`--${B}\nContent-Disposition: form-data; name="file"\n\n${'x'.repeat(10)}\r\n--${B}--\r\n`), T, 400, 'BAD_REQUEST'],
      ['two file parts', handForm(B, [[fileHead(), img], [fileHead(), img]]), T, 400, 'BAD_REQUEST'],
      ['base64 transfer encoding', handForm(B, [[`${fileHead()}\r\nContent-Transfer-Encoding: base64`, img.toString('base64')]]), T, 400, 'BAD_REQUEST'],
      ['more than 4 parts', handForm(B, [[fileHead(), img], ...[1, 2, 3, 4].map((i) => [`Content-Disposition: form-data; name="f${i}"`, 'x'])]), T, 413, 'PAYLOAD_TOO_LARGE'],
      ['a part header over 2048 bytes', handForm(B, [[`${fileHead()}\r\nX-Padding: ${'p'.repeat(2100)}`, img]]), T, 413, 'PAYLOAD_TOO_LARGE'],
      ['the file part over the size limit', handForm(B, [[fileHead(), Buffer.concat([img, Buffer.alloc(10 * 1024 * 1024)])]]), T, 413, 'PAYLOAD_TOO_LARGE'],
      ['the file part as text/plain', handForm(B, [[fileHead('text/plain'), img]]), T, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['the file part without Content-Type', handForm(B, [['Content-Disposition: form-data; name="file"; filename="a.png"', img]]), T, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['SVG with script in a PNG part', handForm(B, [[fileHead(), svg]]), T, 422, 'VALIDATION_ERROR'],
      ['a truncated PNG in its part', handForm(B, [[fileHead(), img.subarray(0, img.length - 20)]]), T, 422, 'VALIDATION_ERROR'],
      ['an empty file part', handForm(B, [[fileHead(), '']]), T, 422, 'VALIDATION_ERROR'],
    ];
    for (const [what, bytes, type, status, code] of cases) {
      const r = await upload(p.id, bytes, type);
      assert.equal(r.status, status, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
      assert.equal(r.body.error.code, code, what);
      assert.ok(r.body.error.message.length > 0, what);
    }
    // fields: "file" required, nothing unknown, alt a short text given once
    expectError(await upload(p.id, handForm(B, [['Content-Disposition: form-data; name="alt"', 'only alt']]), T), 422, 'VALIDATION_ERROR', 'file');
    expectError(await upload(p.id, handForm(B, [[fileHead(), img], ['Content-Disposition: form-data; name="colour"', 'red']]), T), 422, 'VALIDATION_ERROR', 'colour');
    expectError(await upload(p.id, handForm(B, [[fileHead(), img], ['Content-Disposition: form-data; name="alt"', 'a'.repeat(501)]]), T), 422, 'VALIDATION_ERROR', 'alt');
    expectError(await upload(p.id, handForm(B, [[fileHead(), img], ['Content-Disposition: form-data; name="alt"', 'twice']]), T, '?alt=once'), 422, 'VALIDATION_ERROR', 'alt');
    const after = await api(srv, 'GET', `/api/v1/products/${p.id}`, { key: true });
    assert.equal(after.body.images.length, 1, 'only the good form was recorded');
  });

  it('serves nothing under /media/ but stored files', async () => {
    const p = await newProduct();
    const prod = (await upload(p.id, png(100, 100, 13), 'image/png')).body;
    const hash = prod.images[0].url.slice(7, 39);
    // "/media/%2e%2e" is "/" once the server has normalised the path: the home page, not a file
    const up = await media('/media/%2e%2e');
    assert.match(up.headers.get('content-type'), /^text\/html/);
    for (const u of ['/media/..%2F..%2Fetc%2Fpasswd', '/media/..%2Fmedia%2F' + hash + '.png', `/media/${hash}.svg`, `/media/${hash.toUpperCase()}.png`,
      `/media/${hash}-0160.png`, `/media/${hash}-999.png`, `/media/${hash}.png.tmp`, `/media/${hash}`, '/media/']) {
      const r = await media(u);
      assert.equal(r.status, 404, u);
    }
    assert.equal((await media(`/media/${hash}.png`)).status, 200);
  });

  it('shows a <picture> gallery on the product page and lazy images on cards', async () => {
    const p = await newProduct();
    await upload(p.id, png(1200, 900, 21), 'image/png', '?alt=Front%20view');
    await upload(p.id, png(800, 800, 22), 'image/png');
    const prod = await derived(p.id);
    const html = await (await fetch(`${srv.url}/p/${prod.slug}`)).text();
    const main = /<figure class="gallery-main"><picture><source type="image\/webp" srcset="([^"]+)" sizes="[^"]+"><img src="([^"]+)" srcset="([^"]+)" sizes="[^"]+" width="1200" height="900" alt="Front view"/.exec(html);
    assert.ok(main, `the main image as a <picture>, WebP first:\n${html.slice(0, 3000)}`);
    assert.match(main[1], /-160\.webp 160w, .*-480\.webp 480w, .*-960\.webp 960w$/);
    assert.match(main[3], /-160\.png 160w, .*-960\.png 960w$/);
    assert.match(html, /<ul class="thumbs"[^>]*><li><a href="\/media\/[0-9a-f]{32}-800\.png"><picture>.*?alt="Pictured [^"]+" loading="lazy"/,
      'the second image as a thumbnail, alt from the title');
    const cat = (await api(srv, 'POST', '/api/v1/categories', { key: true, body: { name: `Pictures ${token()}` } })).body;
    assert.equal((await api(srv, 'PATCH', `/api/v1/products/${p.id}`, { key: true, body: { category_id: cat.id } })).status, 200);
    // the category page lists from the search index, which follows the catalog within a second
    let page = '';
    for (let i = 0; i < 100 && !page.includes(`data-product="${p.id}"`); i++) {
      if (i) await sleep(100);
      page = await (await fetch(`${srv.url}/c/${cat.slug}`)).text();
    }
    assert.match(page, new RegExp(`data-product="${p.id}"><div class="card-image"><picture><source type="image/webp" srcset="[^"]*-160\\.webp 160w, [^"]*-480\\.webp 480w" [^>]*><img [^>]*width="1200" height="900" alt="Front view" loading="lazy"`),
      `the card's first image, lazy:\n${page.slice(0, 3000)}`);
  });
});

describe('demo store pictures', () => {
  let srv, work2;
  before(async () => {
    work2 = mkdtempSync(path.join(tmpdir(), 'souk-demo-images-'));
    srv = await startServer({ products: 12, seed: 5, env: { SOUK_MEDIA_DIR: path.join(work2, 'media') } });
  });
  after(async () => {
    if (srv) await srv.stop();
    if (work2) rmSync(work2, { recursive: true, force: true });
  });

  it('gives every demo product generated pictures that get derived and served', async () => {
    const list = await api(srv, 'GET', '/api/v1/products?limit=12');
    assert.ok(list.body.data.length > 0);
    for (const s of list.body.data) assert.match(s.image.url, /^\/media\/[0-9a-f]{32}\.png$/, s.title);
    const first = list.body.data[0];
    const t0 = Date.now();
    let prod;
    for (;;) {
      prod = (await api(srv, 'GET', `/api/v1/products/${first.id}`)).body;
      if (prod.images.every((i) => i.srcset)) break;
      if (Date.now() - t0 > 60000) assert.fail('demo pictures not derived');
      await sleep(100);
    }
    const res = await fetch(srv.url + prod.images[0].srcset.webp[0].url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/webp');
  });
});
