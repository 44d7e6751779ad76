// ui.js — pieces every screen shares: the notice of the last action (a polite
// live region for what went well, an alert for what did not) and the pager of
// cursor-paged lists.
import { html } from 'htm/preact';

// NOTICE: {ok: text} or {error: text} or null.
export function Notice({ notice }) {
  return html`<p class="live" role="status" aria-live="polite">${notice?.ok || ''}</p>
    ${notice?.error && html`<p role="alert" class="error">${notice.error}</p>`}`;
}

// Buttons back to the first page (when CURSOR is set) and on to NEXT (a next_cursor, or null).
export function Pager({ cursor, next, onPage, first = 'First page', more = 'Next page' }) {
  return html`<nav class="pager" aria-label="Pages">
    ${cursor && html`<button type="button" onClick=${() => onPage(null)}>${first}</button>`}
    ${next && html`<button type="button" onClick=${() => onPage(next)}>${more}</button>`}
  </nav>`;
}
