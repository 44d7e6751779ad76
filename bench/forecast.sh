#!/usr/bin/env bash
# Forecast benchmark (issue 13): accuracy of souk's forecasting engine (src/forecast, through
# `souk eval forecast`) against R's forecast::ets and forecast::auto.arima on the same holdout,
# in the same run, on the Online Retail daily series:
#   store        sales value per trading day
#   store_units  units per trading day
#   p_<code>     units per trading day of each of the BENCH_FC_TOP products with the most sales
# built by bench/forecast_series.py (one point per trading day: the shop does not trade on
# Saturdays, so the weekly pattern has period 6). The last BENCH_FC_H points of every series are
# held out; every method is fitted on the rest.
#
# Goals (issue 13): souk's sMAPE within 5% of R's best (ratio <= 1.05) and at least 10% better
# than seasonal naive (ratio <= 0.90); fitting time per series reported for both. Prints PASS or
# MISS; no assertion (BENCH_STRICT=1 exits 1 on a miss). R is installed with apt-get
# (r-cran-forecast) when missing; it is used by this benchmark only.
#
# Environment: SOUK_BIN (build/souk), BENCH_FC_TOP (20), BENCH_FC_H (28), BENCH_FC_M (6),
# BENCH_RETAIL_CSV (../shared/data/online-retail/online_retail.csv.gz).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOUK_BIN="${SOUK_BIN:-build/souk}"
TOP="${BENCH_FC_TOP:-20}"
H="${BENCH_FC_H:-28}"
M="${BENCH_FC_M:-6}"
STRICT="${BENCH_STRICT:-0}"
RETAIL="${BENCH_RETAIL_CSV:-$ROOT/../shared/data/online-retail/online_retail.csv.gz}"
TMP_NAME=forecast
# shellcheck source=bench/lib/souk.sh
source bench/lib/souk.sh
bench_tools python3
[[ -f "$RETAIL" ]] || { log "no Online Retail data at $RETAIL (set BENCH_RETAIL_CSV)"; exit 1; }
if ! Rscript -e 'suppressPackageStartupMessages(library(forecast))' >/dev/null 2>&1; then
  log "installing R's forecast package (r-cran-forecast) with apt-get"
  SUDO=(); [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-cran-forecast >&2
fi
bench_setup

log "building the daily series (top $TOP products)"
python3 bench/forecast_series.py "$RETAIL" "$TOP" >"$TMP/series.csv"
log "souk eval forecast --horizon $H --period $M"
"$SOUK_BIN" eval forecast --series "$TMP/series.csv" --horizon "$H" --period "$M" --per-series | tee "$TMP/souk.out"
log "R forecast::ets, auto.arima and snaive on the same holdout"
Rscript bench/forecast_r.R "$TMP/series.csv" "$H" "$M" | tee "$TMP/r.out"

awk -v strict="$STRICT" '
  FNR == NR && $1 ~ /^(snaive|ets|croston|sba|auto)$/ && NF == 7 { s[$1] = $2; mase[$1] = $3; ms[$1] = $6; next }
  FNR != NR { r[$1] = $2; rmase[$1] = $3; rms[$1] = $4 }
  END {
    best = r["r-ets"] < r["r-arima"] ? "r-ets" : "r-arima"
    printf "\n%-14s %9s %9s %14s\n", "method", "sMAPE", "MASE", "fit_ms/series"
    n = split("snaive ets croston sba auto", k, " ")
    for (i = 1; i <= n; i++) printf "souk-%-9s %9.3f %9.4f %14.3f\n", k[i], s[k[i]], mase[k[i]], ms[k[i]]
    n = split("r-snaive r-ets r-arima", k, " ")
    for (i = 1; i <= n; i++) printf "%-14s %9.3f %9.4f %14.3f\n", k[i], r[k[i]], rmase[k[i]], rms[k[i]]
    a = s["auto"] / r[best]; b = s["auto"] / s["snaive"]; e = s["ets"] / r["r-ets"]
    printf "\nsouk auto sMAPE / R best (%s): %.4f  goal <= 1.05  %s\n", best, a, a <= 1.05 ? "PASS" : "MISS"
    printf "souk auto sMAPE / seasonal naive:  %.4f  goal <= 0.90  %s\n", b, b <= 0.90 ? "PASS" : "MISS"
    printf "souk ets sMAPE / R ets:            %.4f\n", e
    printf "seasonal naive sMAPE souk / R:     %.4f  (1 when both compute the metric alike)\n", s["snaive"] / r["r-snaive"]
    printf "fitting time per series: souk auto %.1f ms, souk ets %.1f ms, R ets %.1f ms, R auto.arima %.1f ms\n",
      ms["auto"], ms["ets"], rms["r-ets"], rms["r-arima"]
    if (strict == 1 && (a > 1.05 || b > 0.90)) exit 1
  }' "$TMP/souk.out" "$TMP/r.out"
