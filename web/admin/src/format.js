// format.js — numbers, money and dates as the dashboards show them.
const nf = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

// MINOR units of CURRENCY as text ("€1,234.50"); "–" without a value.
export function money(minor, currency) {
  if (minor === null || minor === undefined) return '–';
  if (!currency) return nf.format(minor / 100);
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 10 ** minorDigits(currency));
}

export const number = (v) => (v === null || v === undefined ? '–' : nf.format(v));
export const percent = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '–');

// The local day N days before today, as YYYY-MM-DD.
export function daysAgo(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return d.toISOString().slice(0, 10);
}

// A change ratio as "+12.5%" with its direction, or "–" when there is none to compare with.
export function change(v) {
  if (v === null || v === undefined) return { text: '–', dir: 'flat' };
  return { text: `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)}%`, dir: v > 0 ? 'up' : v < 0 ? 'down' : 'flat' };
}

// How many minor-unit digits CURRENCY has (2 for EUR, 0 for JPY).
export function minorDigits(currency) {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
}
