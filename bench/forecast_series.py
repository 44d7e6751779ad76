#!/usr/bin/env python3
"""Daily series of the UCI Online Retail data set for bench/forecast.sh.

Usage: forecast_series.py ONLINE_RETAIL.csv[.gz] TOP_N > series.csv

Writes series_id,date,value rows: 'store' (sales value per day: quantity
times unit price), 'store_units' (units per day) and 'p_<StockCode>' (units
per day) for the TOP_N products by sales value (codes starting with five digits:
not postage, fees and manual lines). Cancellations (invoice
numbers starting with C), returns and lines without a positive price or
quantity are left out. The store trades six days a week (no Saturdays) and
closes around Christmas, so the series have one point per trading day (a
day with any sale in the store), zero for a product on a trading day it did
not sell; with period 6 the weekday pattern lines up.
"""
import collections
import csv
import gzip
import io
import sys


def main():
    path, top_n = sys.argv[1], int(sys.argv[2])
    raw = gzip.open(path, 'rb') if path.endswith('.gz') else open(path, 'rb')
    rows = csv.DictReader(io.TextIOWrapper(raw, encoding='utf-8', errors='replace'))
    store = collections.defaultdict(float)
    units = collections.defaultdict(float)
    prod = collections.defaultdict(lambda: collections.defaultdict(float))
    value = collections.defaultdict(float)
    for r in rows:
        if r['InvoiceNo'].startswith('C'):
            continue
        try:
            q, p = float(r['Quantity']), float(r['UnitPrice'])
        except ValueError:
            continue
        if q <= 0 or p <= 0:
            continue
        day = r['InvoiceDate'][:10]
        code = r['StockCode'].strip()
        is_product = code[:5].isdigit()
        store[day] += q * p
        units[day] += q
        if is_product:  # not postage, fees or manual lines (codes like POST, DOT, M)
            prod[code][day] += q
            value[code] += q * p
    days = sorted(store)
    top = sorted(value, key=lambda c: (-value[c], c))[:top_n]
    out = csv.writer(sys.stdout, lineterminator='\n')
    out.writerow(['series_id', 'date', 'value'])
    for d in days:
        out.writerow(['store', d, f'{store[d]:.2f}'])
    for d in days:
        out.writerow(['store_units', d, f'{units[d]:.0f}'])
    for c in top:
        for d in days:
            out.writerow([f'p_{c}', d, f'{prod[c].get(d, 0):.0f}'])


if __name__ == '__main__':
    main()
