// chart.js — a line chart (uPlot, drawn on a canvas) with the same numbers in a
// table for screen readers and for copying: the canvas is aria-hidden, the table
// is the accessible form of the figure.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const COLOURS = ['#1f5fbf', '#8a8f98', '#b5432f', '#2f7d4f'];

// LABELS: x values as text; SERIES: [{label, values[], dashed?, points? (markers only), band? [i, j]
// (fill between series i and j of SERIES, e.g. an interval)}]; FORMAT: a y value as text.
export function LineChart({ title, labels, series, format = String }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || !labels.length) return undefined;
    const width = Math.max(280, box.current.clientWidth || 600);
    const opts = {
      width,
      height: 240,
      scales: { x: { time: false } },
      axes: [
        { values: (u, ticks) => ticks.map((i) => labels[Math.round(i)] ?? '') },
        { values: (u, ticks) => ticks.map((v) => format(v)), size: 70 },
      ],
      series: [
        { label: 'Period', value: (u, i) => (i === null || i === undefined ? '–' : labels[Math.round(i)] ?? '') },
        ...series.map((s, i) => ({ label: s.label, stroke: s.colour || COLOURS[i % COLOURS.length], width: s.points ? 0 : s.thin ? 1 : 2,
          dash: s.dashed ? [6, 4] : undefined, points: s.points ? { show: true, size: 9, fill: s.colour || COLOURS[i % COLOURS.length] } : undefined,
          value: (u, v) => (v === null || v === undefined ? '–' : format(v)) })),
      ],
      bands: series.flatMap((s) => (s.band ? [{ series: [s.band[0] + 1, s.band[1] + 1], fill: 'rgba(31, 95, 191, 0.12)' }] : [])),
      legend: { show: true },
    };
    const data = [labels.map((_, i) => i), ...series.map((s) => s.values)];
    const plot = new uPlot(opts, data, box.current);
    plot.root.setAttribute('aria-hidden', 'true');
    return () => plot.destroy();
  }, [labels, series]);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div class="chart-canvas" ref=${box} data-points=${labels.length}></div>
    <details class="chart-table"><summary>Show the numbers</summary>
      <div class="table-scroll"><table><thead><tr><th scope="col">Period</th>${series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
        <tbody>${labels.map((l, i) => html`<tr><th scope="row">${l}</th>${series.map((s) => html`<td>${format(s.values[i])}</td>`)}</tr>`)}</tbody>
      </table></div>
    </details>
  </figure>`;
}

// Horizontal bars drawn in HTML (a funnel, segment sizes): ROWS [{label, value, note?}].
export function Bars({ title, rows, format = String }) {
  const max = Math.max(1, ...rows.map((r) => r.value || 0));
  return html`<figure class="bars">
    <figcaption>${title}</figcaption>
    <ul>${rows.map((r) => html`<li>
      <span class="bar-label">${r.label}</span>
      <span class="bar-track"><span class="bar-fill" style=${{ width: `${((r.value || 0) / max) * 100}%` }}></span></span>
      <span class="bar-value">${format(r.value)}${r.note ? html` <small>${r.note}</small>` : ''}</span>
    </li>`)}</ul>
  </figure>`;
}
