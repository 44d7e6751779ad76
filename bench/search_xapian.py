#!/usr/bin/python3
"""Xapian beside `souk eval speed` in bench/search.sh (a reference only).

    search_xapian.py CORPUS.csv[.gz] QUERIES.tsv [K] [REPEAT]

Indexes the corpus (title, description, brand, category; English stemming)
in an in-memory Xapian database and runs the same query log the same way:
all words required (OP_AND), the last word completed for "prefix" classes
(FLAG_PARTIAL), the best K by BM25, and for "+facets" classes the brand and
category counts over the whole result set (ValueCountMatchSpy, with
checkatleast = all documents). Each query once to warm up, then REPEAT
times. Prints "XBUILD …" and one "XSPEED class=… qps=… p50_ms=… p99_ms=…"
line per class. Needs Debian's python3-xapian; call it with /usr/bin/python3.
"""
import csv
import gzip
import math
import sys
import time

import xapian


def rows(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
        yield from csv.DictReader(f)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    corpus, queries = sys.argv[1], sys.argv[2]
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
    tg = xapian.TermGenerator()
    stem = xapian.Stem("english")
    tg.set_stemmer(stem)
    t0 = time.perf_counter()
    n = 0
    for r in rows(corpus):
        doc = xapian.Document()
        tg.set_document(doc)
        for field in ("title", "description", "brand", "category"):
            v = r.get(field) or ""
            if v:
                tg.index_text(v)
                tg.increase_termpos()
        doc.add_value(0, r.get("brand") or "")
        doc.add_value(1, r.get("category") or "")
        db.add_document(doc)
        n += 1
    build = time.perf_counter() - t0
    print(f"XBUILD xapian_s={build:.3f} docs={n}")
    qp = xapian.QueryParser()
    qp.set_stemmer(stem)
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    qp.set_database(db)
    qp.set_default_op(xapian.Query.OP_AND)
    enquire = xapian.Enquire(db)
    total_docs = db.get_doccount()
    times = {}
    order = []
    with open(queries, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or "\t" not in line:
                continue
            cls, q = line.split("\t", 1)
            if cls not in times:
                times[cls] = []
                order.append(cls)
            prefix = cls.startswith("prefix")
            facets = cls.endswith("+facets")
            flags = xapian.QueryParser.FLAG_DEFAULT | (xapian.QueryParser.FLAG_PARTIAL if prefix else 0)
            for i in range(repeat + 1):
                s = time.perf_counter()
                query = qp.parse_query(q, flags)
                enquire.set_query(query)
                enquire.clear_matchspies()
                if facets:
                    spies = [xapian.ValueCountMatchSpy(0), xapian.ValueCountMatchSpy(1)]
                    for sp in spies:
                        enquire.add_matchspy(sp)
                    mset = enquire.get_mset(0, k, total_docs)
                    for sp in spies:
                        list(sp.top_values(10))
                else:
                    mset = enquire.get_mset(0, k)
                len(mset)
                e = time.perf_counter() - s
                if i:
                    times[cls].append(e)
    for cls in order:
        v = sorted(times[cls])
        if not v:
            continue
        q = lambda p: v[max(0, math.ceil(p * len(v)) - 1)] * 1e3
        print(f"XSPEED class={cls} xapian_qps={len(v) / sum(v):.0f} xapian_p50_ms={q(0.5):.3f} xapian_p99_ms={q(0.99):.3f}")


if __name__ == "__main__":
    main()
