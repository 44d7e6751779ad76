#!/usr/bin/env bash
# Campaign audience selection (issue 17): what the campaigns.audiences job does per audience —
# select the members from the analytics read model (src/campaigns/audience.c, through the
# RFM / k-means / churn reports) and store them — over BENCH_CAMP_CUSTOMERS (100,000) customers
# with a synthetic history of 1–8 orders each (bench/campaigns/select.c, linked against
# build/libsouk.a). Goal: selection under 1 s. Prints the numbers; no assertion.
#
# Environment: BENCH_CAMP_CUSTOMERS (100000), BENCH_CAMP_REPEAT (5), BENCH_CAMP_ONLY (run only the
# cases whose name holds it, e.g. rfm), CC (cc).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[[ -f build/libsouk.a ]] || { echo "bench: build/libsouk.a missing (run: make)" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# shellcheck disable=SC2016  # $(LDLIBS) is make's, expanded by make
LIBS=$(make -s --no-print-directory --eval 'campaigns-bench-ldlibs: ; @echo $(LDLIBS)' campaigns-bench-ldlibs)
# shellcheck disable=SC2086  # the Makefile's library list, word-split on purpose
"${CC:-cc}" -Isrc -Ibuild/gen -D_GNU_SOURCE -std=c17 -O2 -g -Wall -Wextra -o "$TMP/select" bench/campaigns/select.c \
  build/libsouk.a $LIBS -lpthread -lm
"$TMP/select" "${BENCH_CAMP_CUSTOMERS:-100000}" "${BENCH_CAMP_REPEAT:-5}" "$TMP/bench.db" "${BENCH_CAMP_ONLY:-}"
