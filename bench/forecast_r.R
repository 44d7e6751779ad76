# R's forecast package on the same holdout as `souk eval forecast` (bench/forecast.sh).
# Usage: Rscript forecast_r.R SERIES.csv H M
# Prints one line per method: "r-<method> sMAPE MASE fit_ms_per_series" with the
# same definitions as souk (sMAPE percent, a 0/0 pair counting 0; MASE scaled by the
# in-sample seasonal naive MAE of the training part).
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], colClasses = c("character", "character", "numeric"))
H <- as.integer(args[2]); M <- as.integer(args[3])
smape <- function(a, f) { den <- abs(a) + abs(f); mean(ifelse(den > 0, 200 * abs(a - f) / den, 0)) }
mase <- function(a, f, tr) {
  lag <- if (M > 1 && length(tr) > M) M else 1
  s <- mean(abs(diff(tr, lag = lag)))
  if (s > 0) mean(abs(a - f)) / s else NA
}
need <- H + (if (M > 1) 2 * M else 8)
res <- list()
for (id in sort(unique(d$series_id))) {
  s <- d[d$series_id == id, ]
  s <- s[order(s$date), ]
  if (nrow(s) < need) next
  n <- nrow(s)
  tr <- ts(s$value[1:(n - H)], frequency = M)
  a <- s$value[(n - H + 1):n]
  for (m in c("ets", "arima", "snaive")) {
    t0 <- proc.time()[["elapsed"]]
    f <- switch(m,
      ets = forecast(ets(tr), h = H)$mean,
      arima = forecast(auto.arima(tr), h = H)$mean,
      snaive = snaive(tr, h = H)$mean)
    el <- proc.time()[["elapsed"]] - t0
    res[[length(res) + 1]] <- data.frame(id = id, method = m, smape = smape(a, as.numeric(f)),
                                         mase = mase(a, as.numeric(f), as.numeric(tr)), secs = el)
  }
}
r <- do.call(rbind, res)
for (m in c("snaive", "ets", "arima")) {
  x <- r[r$method == m, ]
  cat(sprintf("r-%s %.3f %.4f %.3f\n", m, mean(x$smape), mean(x$mase, na.rm = TRUE), 1000 * mean(x$secs)))
}
