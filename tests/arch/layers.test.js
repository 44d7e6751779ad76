// The layer check: fails when code crosses the boundaries of docs/internals/ownership.md —
// an include of another context's private header, an adapter library outside its adapter,
// a cycle between contexts, or SQL that names a table the file's context does not own
// (as far as a scan of the string literals in the C source can tell).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = path.join(ROOT, 'src');

const LAYER = { core: 0, store: 1, http: 2, app: 4, web: 4 }; // every other directory is a context (3)
const layerOf = (dir) => LAYER[dir] ?? 3;

// headers another directory may include, beyond <dir>/<dir>.h (every core header is public)
const PUBLIC = {
  store: ['store/store.h', 'store/page.h', 'store/row.h'],
  http: ['http/http.h'],
  recommend: ['recommend/service.h'], // the lists as the platform serves them (the storefront shows them)
  search: ['search/text.h'], // the text pipeline (reviews tokenise review texts with it for sentiment)
};
// further includes allowed to particular users (wiring and middleware-like code)
const ALLOWED = [
  { from: /^src\/app\//, header: /^[a-z0-9]+\/(api|[a-z0-9_]+)\.h$/ }, // the app wires everything
  { from: /^src\/web\//, header: /^[a-z0-9]+\/api\.h$/ }, // the storefront calls handlers in process (docs/internals/web.md)
  { from: /^src\/web\/product\.c$/, header: /^http\/cache\.h$/ }, // the product page, cached with per-visitor slots
  { from: /^src\/identity\/api_auth\.c$/, header: /^http\/ratelimit\.h$/ }, // the sign-in throttle
  { from: /^src\/identity\/auth\.c$/, header: /^http\/redis\.h$/ }, // revocations broadcast to every node
];
// adapter libraries and where they may be included
const LIBRARIES = [
  { header: /^sqlite3\.h$/, where: /^src\/store\/sqlite\// },
  { header: /^libpq-fe\.h$/, where: /^src\/store\/postgres\// },
  { header: /^hiredis\//, where: /^src\/(store|http)\/redis/ },
  { header: /^h2o[./]/, where: /^src\/http\// },
  { header: /^vips\//, where: /^src\/catalog\/image_codec\.c$/ }, // libvips: the product images' codec only
  { header: /^curl\//, where: /^src\/(payments\/stripe|mail\/smtp|webhooks\/send)\.c$/ },
];

function sources() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.[ch]$/.test(name)) out.push(path.relative(ROOT, p));
    }
  };
  walk(SRC);
  return out.sort();
}

const dirOf = (rel) => rel.split('/')[1]; // src/<dir>/...
const FILES = sources();
const TEXT = Object.fromEntries(FILES.map((f) => [f, readFileSync(path.join(ROOT, f), 'utf8')]));

function includes(text) {
  return [...text.matchAll(/^\s*#\s*include\s+([<"])([^>"]+)[>"]/gm)].map((m) => ({ local: m[1] === '"', header: m[2] }));
}

test('no file includes another directory\'s private header, and includes point down the layers', () => {
  const bad = [];
  for (const f of FILES) {
    const dir = dirOf(f);
    for (const { local, header } of includes(TEXT[f])) {
      if (!local) continue;
      const target = header.split('/')[0];
      if (target === dir || !header.includes('/')) continue;
      if (ALLOWED.some((a) => a.from.test(f) && a.header.test(header))) continue;
      const isPublic = target === 'core' || header === `${target}/${target}.h` || (PUBLIC[target] ?? []).includes(header);
      if (!isPublic) bad.push(`${f} includes ${header}, which is private to src/${target}`);
      else if (layerOf(target) > layerOf(dir)) bad.push(`${f} includes ${header}, a layer above its own`);
    }
  }
  assert.deepEqual(bad, []);
});

test('adapter libraries are included only by their adapters', () => {
  const bad = [];
  for (const f of FILES)
    for (const { local, header } of includes(TEXT[f])) {
      if (local) continue;
      const lib = LIBRARIES.find((l) => l.header.test(header));
      if (lib && !lib.where.test(f)) bad.push(`${f} includes <${header}>`);
    }
  assert.deepEqual(bad, []);
});

test('the contexts depend on each other without a cycle', () => {
  const edges = new Map();
  for (const f of FILES) {
    const dir = dirOf(f);
    if (layerOf(dir) !== 3) continue;
    for (const { local, header } of includes(TEXT[f])) {
      const target = header.split('/')[0];
      if (!local || target === dir || layerOf(target) !== 3) continue;
      if (!edges.has(dir)) edges.set(dir, new Set());
      edges.get(dir).add(target);
    }
  }
  const state = new Map();
  const cycles = [];
  const visit = (n, trail) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'active') { cycles.push([...trail.slice(trail.indexOf(n)), n].join(' → ')); return; }
    state.set(n, 'active');
    for (const m of edges.get(n) ?? []) visit(m, [...trail, n]);
    state.set(n, 'done');
  };
  for (const n of edges.keys()) visit(n, []);
  assert.deepEqual(cycles, []);
});

function ownership() {
  const doc = readFileSync(path.join(ROOT, 'docs/internals/ownership.md'), 'utf8');
  const owners = new Map();
  for (const m of doc.matchAll(/^\|\s*([a-z0-9_]+)\s*\|\s*([a-z0-9_]+)\s*\|\s*([a-z0-9_, ]*)\|\s*$/gm)) {
    if (m[1] === 'table') continue;
    owners.set(m[1], { owner: m[2], readers: m[3].split(',').map((s) => s.trim()).filter(Boolean) });
  }
  return owners;
}

// SQL text of a C file: its string literals joined by spaces, comments dropped
function sqlText(text) {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  return [...noComments.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((m) => m[1]).join(' ');
}

test('the ownership map names every table the migrations create', () => {
  const owners = ownership();
  const dir = path.join(SRC, 'store', 'migrations');
  const missing = [];
  for (const dialect of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name))
    for (const f of readdirSync(path.join(dir, dialect)).filter((n) => n.endsWith('.sql'))) {
      const sql = readFileSync(path.join(dir, dialect, f), 'utf8');
      for (const m of sql.matchAll(/CREATE\s+(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z0-9_]+)/gi))
        if (!owners.has(m[1])) missing.push(`${dialect}/${f}: ${m[1]}`);
    }
  assert.deepEqual(missing, []);
});

test('each context\'s SQL names only its own tables and what is published to it', () => {
  const owners = ownership();
  const bad = [];
  for (const f of FILES) {
    if (!f.endsWith('.c')) continue;
    const dir = dirOf(f);
    if (dir === 'store' || dir === 'core' || dir === 'http') continue;
    const sql = sqlText(TEXT[f]);
    for (const m of sql.matchAll(/\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+([a-z0-9_]+)/g)) {
      const t = owners.get(m[2]);
      if (!t || t.owner === dir || (t.owner === 'store' && dir !== 'app') || t.readers.includes(dir)) continue;
      bad.push(`${f}: ${m[1]} ${m[2]} (owned by ${t.owner})`);
    }
  }
  assert.deepEqual([...new Set(bad)], []);
});
