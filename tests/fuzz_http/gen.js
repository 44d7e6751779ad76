// Random values from the JSON Schema subset src/app/openapi.json uses, for the HTTP fuzzer.
//
//   const g = new Gen(doc, rng, pools);
//   g.value(schema)        -> a value that is valid for SCHEMA most of the time ("valid-looking")
//   g.fromPattern(re)      -> a string matching the regular expression source RE
//
// The keywords handled are the ones the document holds (checked by fuzzer.js at start):
// $ref (local), type (one or a list), enum, const, properties, required, additionalProperties,
// items, minItems, maxItems, minLength, maxLength, pattern, minimum, maximum,
// exclusiveMinimum, format (date-time, date, binary), oneOf, anyOf, allOf, not (ignored:
// generating to avoid a schema is left to the mutations), maxProperties, minProperties, propertyNames.
// Strings whose pattern looks like an id (`^prod_...`) are taken from POOLS (ids the fuzzer has
// seen in earlier answers) when one of them matches, so that writes reach real objects.

/** A small seeded generator (xorshift128+ on BigInt would be slow; this is sfc32). */
export class Rng {
  constructor(seed) {
    let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = (seed >>> 0) ^ 0xdeadbeef;
    this.s = [a, b, c, d];
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32() {
    let [a, b, c, d] = this.s;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    this.s = [a, b, c, d];
    return t;
  }

  /** a float in [0, 1) */
  next() { return this.u32() / 4294967296; }
  /** an integer in [lo, hi] */
  int(lo, hi) { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  chance(p) { return this.next() < p; }
  pick(arr) { return arr[Math.floor(this.next() * arr.length)]; }
  /** pick by weight: [[weight, value], ...] */
  weighted(pairs) {
    let total = 0;
    for (const [w] of pairs) total += w;
    let x = this.next() * total;
    for (const [w, v] of pairs) {
      if ((x -= w) < 0) return v;
    }
    return pairs[pairs.length - 1][1];
  }
}

const WORDS = ['red', 'shirt', 'blue', 'mug', 'café', 'lamp', 'desk', 'wool', 'size', 'small', 'bag', 'Ünïcödé', 'tea', '日本', 'x'];

/* ---- regular expression source -> a matching string (the subset the document's patterns use) ---- */

function parseRegex(src) {
  let i = 0;
  function alt() {
    const branches = [seq()];
    while (src[i] === '|') { i++; branches.push(seq()); }
    return { t: 'alt', branches };
  }
  function seq() {
    const items = [];
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      let atom = one();
      if (atom === null) continue;
      atom = quant(atom);
      items.push(atom);
    }
    return { t: 'seq', items };
  }
  function quant(atom) {
    const c = src[i];
    if (c === '?') { i++; return { t: 'rep', atom, min: 0, max: 1 }; }
    if (c === '*') { i++; return { t: 'rep', atom, min: 0, max: 4 }; }
    if (c === '+') { i++; return { t: 'rep', atom, min: 1, max: 5 }; }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (m) {
        i += m[0].length;
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : (m[3] === '' ? min + 5 : Number(m[3]));
        return { t: 'rep', atom, min, max };
      }
    }
    return atom;
  }
  function esc(c) {
    switch (c) {
      case 'd': return { t: 'set', chars: '0123456789' };
      case 'w': return { t: 'set', chars: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_' };
      case 's': return { t: 'set', chars: ' ' };
      case 'S': return { t: 'set', chars: 'abcXYZ019-_.' };
      default: return { t: 'lit', c };
    }
  }
  function one() {
    const c = src[i++];
    if (c === '^' || c === '$') return null;
    if (c === '(') {
      if (src.startsWith('?:', i)) i += 2;
      const a = alt();
      i++; // ')'
      return a;
    }
    if (c === '[') {
      let neg = false;
      if (src[i] === '^') { neg = true; i++; }
      let chars = '';
      while (i < src.length && src[i] !== ']') {
        let ch = src[i++];
        if (ch === '\\') {
          const e = esc(src[i++]);
          chars += e.t === 'set' ? e.chars : e.c;
          continue;
        }
        if (src[i] === '-' && src[i + 1] !== ']' && i + 1 < src.length) {
          const hi = src[i + 1];
          i += 2;
          for (let k = ch.charCodeAt(0); k <= hi.charCodeAt(0); k++) chars += String.fromCharCode(k);
        } else {
          chars += ch;
        }
      }
      i++; // ']'
      if (neg) {
        let all = '';
        for (let k = 0x21; k < 0x7f; k++) if (!chars.includes(String.fromCharCode(k))) all += String.fromCharCode(k);
        chars = all;
      }
      return { t: 'set', chars };
    }
    if (c === '\\') return esc(src[i++]);
    if (c === '.') return { t: 'set', chars: 'abcdefghijklmnopqrstuvwxyz0123456789' };
    return { t: 'lit', c };
  }
  return alt();
}

const regexCache = new Map();

function emit(node, rng) {
  switch (node.t) {
    case 'alt': return emit(rng.pick(node.branches), rng);
    case 'seq': return node.items.map((n) => emit(n, rng)).join('');
    case 'rep': {
      const n = rng.int(node.min, node.max);
      let s = '';
      for (let k = 0; k < n; k++) s += emit(node.atom, rng);
      return s;
    }
    case 'set': return node.chars[Math.floor(rng.next() * node.chars.length)] || '';
    default: return node.c;
  }
}

export class Gen {
  /**
   * @param doc the OpenAPI document (for $ref)
   * @param rng an Rng
   * @param pools a Map of pattern source -> strings seen that match it (filled by the fuzzer)
   */
  constructor(doc, rng, pools) {
    this.doc = doc;
    this.rng = rng;
    this.pools = pools;
  }

  deref(s) {
    let guard = 0;
    while (s && typeof s.$ref === 'string' && guard++ < 20) {
      s = s.$ref.slice(2).split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc);
    }
    return s || {};
  }

  fromPattern(src) {
    let tree = regexCache.get(src);
    if (!tree) {
      tree = parseRegex(src);
      regexCache.set(src, tree);
    }
    return emit(tree, this.rng);
  }

  /** a value for SCHEMA; DEPTH bounds recursion; NAME (the property or parameter) picks likelier values */
  value(schema, depth = 0, name = '') {
    const rng = this.rng;
    const s = this.deref(schema);
    if (s.const !== undefined) return s.const;
    if (Array.isArray(s.enum)) return rng.pick(s.enum);
    if (Array.isArray(s.allOf)) {
      /* merge object parts; a value for the first part otherwise */
      const merged = {};
      for (const part of s.allOf) {
        const p = this.deref(part);
        for (const [k, v] of Object.entries(p)) {
          if (k === 'properties') merged.properties = { ...(merged.properties || {}), ...v };
          else if (k === 'required') merged.required = [...(merged.required || []), ...v];
          else merged[k] = v;
        }
      }
      for (const [k, v] of Object.entries(s)) if (k !== 'allOf') merged[k] = v;
      return this.value(merged, depth, name);
    }
    if (Array.isArray(s.oneOf) || Array.isArray(s.anyOf)) {
      const branch = rng.pick(s.oneOf || s.anyOf);
      const rest = { ...s };
      delete rest.oneOf;
      delete rest.anyOf;
      const b = this.deref(branch);
      return this.value({ ...rest, ...b }, depth, name);
    }
    let type = s.type;
    if (Array.isArray(type)) type = rng.pick(type);
    if (type === undefined) {
      if (s.properties) type = 'object';
      else if (s.items) type = 'array';
      else type = rng.pick(['string', 'integer', 'boolean']);
    }
    switch (type) {
      case 'null': return null;
      case 'boolean': return rng.chance(0.5);
      case 'integer': return this.integer(s);
      case 'number': {
        const v = this.integer(s);
        const f = v + Math.round(rng.next() * 100) / 100;
        return rng.chance(0.5) || (s.maximum !== undefined && f > s.maximum) ? v : f;
      }
      case 'string': return this.string(s, name);
      case 'array': {
        const min = s.minItems ?? 0;
        const max = Math.min(s.maxItems ?? min + 3, min + 3, depth > 4 ? min : 1e9);
        const n = rng.int(min, Math.max(min, max));
        const out = [];
        for (let k = 0; k < n; k++) out.push(this.value(s.items || {}, depth + 1));
        return out;
      }
      case 'object': {
        const out = {};
        const props = s.properties || {};
        const req = new Set(s.required || []);
        for (const [k, v] of Object.entries(props)) {
          if (req.has(k) || (depth < 5 && rng.chance(0.6))) out[k] = this.value(v, depth + 1, k);
        }
        // minProperties: top up with properties left out (in their order) until there are enough
        for (const [k, v] of Object.entries(props)) {
          if (Object.keys(out).length >= (s.minProperties ?? 0)) break;
          if (!(k in out)) out[k] = this.value(v, depth + 1, k);
        }
        if (s.additionalProperties && typeof s.additionalProperties === 'object' && depth < 5) {
          const n = rng.int(0, Math.min(3, s.maxProperties ?? 3));
          const names = s.propertyNames ? this.deref(s.propertyNames) : {};
          for (let k = 0; k < n; k++) {
            const name = names.pattern ? this.fromPattern(names.pattern) : rng.pick(WORDS).replace(/[^a-z]/g, '') || 'k';
            out[name] = this.value(s.additionalProperties, depth + 1);
          }
        }
        return out;
      }
      default: return null;
    }
  }

  /** a likelier value for a string property or parameter called NAME, or undefined */
  hint(s, name) {
    const rng = this.rng;
    if (!rng.chance(0.8)) return undefined;
    const seen = this.byName && this.byName.get(name === 'token' ? 'share_token' : name);
    if (seen && seen.length && rng.chance(0.5)) return rng.pick(seen);
    const known = this.known ? this.known() : [];
    if (/email$/.test(name)) return known.length && rng.chance(0.5) ? rng.pick(known).email : `fz${rng.int(0, 1e9)}@example.com`;
    if (/password$/.test(name)) return known.length && rng.chance(0.5) ? rng.pick(known).password : `pw fuzz ${rng.int(0, 1e9)} x`;
    if (name === 'url') return `http://127.0.0.1:9/hook/${rng.int(0, 1e6)}`;
    if (name === 'payment_method') return rng.pick(['4242424242424242', '4000000000000002']);
    if (/currency$/.test(name) || name === 'base') return rng.pick(['USD', 'EUR', 'GBP', 'USD']);
    if (name === 'country' || name === 'billing_country') return rng.pick(['GB', 'US', 'DE', 'FR']);
    if (name === 'time' && s.format === 'date-time') return new Date(Date.now() - rng.int(0, 3600) * 1000).toISOString();
    return undefined;
  }

  integer(s) {
    const rng = this.rng;
    let lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
    let hi = s.maximum ?? Math.max(lo + 100, 100);
    if (hi - lo > 1e6 && rng.chance(0.7)) hi = lo + rng.pick([1, 10, 100, 10000]);
    return rng.int(Math.ceil(lo), Math.floor(hi));
  }

  string(s, name = '') {
    const rng = this.rng;
    const hint = this.hint(s, name);
    if (hint !== undefined) return hint;
    if (s.pattern) {
      const pool = this.pools.get(s.pattern);
      if (pool && pool.length && rng.chance(0.85)) return rng.pick(pool);
      let v = this.fromPattern(s.pattern);
      if (s.maxLength !== undefined && v.length > s.maxLength) v = v.slice(0, s.maxLength);
      return v;
    }
    if (s.format === 'date-time') {
      const t = Date.now() + rng.int(-400, 400) * 86400000;
      return new Date(t).toISOString();
    }
    if (s.format === 'date') {
      return new Date(Date.now() + rng.int(-400, 30) * 86400000).toISOString().slice(0, 10);
    }
    const min = s.minLength ?? 0;
    const max = Math.min(s.maxLength ?? 40, Math.max(min, 40));
    const n = rng.int(Math.max(min, 1), Math.max(max, min, 1));
    let out = '';
    while ([...out].length < n) out += (out ? ' ' : '') + rng.pick(WORDS);
    return [...out].slice(0, Math.max(n, min)).join('');
  }
}
