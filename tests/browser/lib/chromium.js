// Debian's Chromium for the browser tests (driven by playwright-core; a test
// tool's own browser download cannot run here), and the checks every page gets.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

/** Where screenshots go (tests/browser/out/, git-ignored). */
export const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'out');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** A headless Chromium with a fresh profile: {context, close()} (close also removes the profile). */
export async function launchChromium(opts = {}) {
  mkdirSync(OUT, { recursive: true });
  const profile = mkdtempSync(path.join(tmpdir(), 'souk-chromium-'));
  const context = await chromium.launchPersistentContext(profile,
    { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, ...opts });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** axe-core on PAGE (no serious or critical violation), no sideways scrolling, and screenshots at
 * 320 and 1280 px as OUT/NAME-WIDTH.png; NAME is added to SEEN. */
export async function checkPage(page, name, seen) {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `axe on ${name}`);
  seen.push(name);
  for (const width of [320, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(OUT, `${name}-${width}.png`), fullPage: true });
    const wide = await page.evaluate(() => {
      if (document.documentElement.scrollWidth <= window.innerWidth + 1) return null;
      // name the outermost elements that reach past the right edge, so a failure says what to fix
      const past = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1);
      const outer = past.filter((e) => !past.includes(e.parentElement)).slice(0, 5);
      return `${document.documentElement.scrollWidth} px wide: ` + outer.map((e) =>
        `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).trim().replace(/\s+/g, '.') : ''}` +
        ` (${Math.round(e.getBoundingClientRect().width)} px)`).join(', ');
    });
    assert.equal(wide, null, `${name} scrolls sideways at ${width} px`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** A new page of CONTEXT whose console errors, uncaught errors and dialogs (dismissed) are pushed to
 * PROBLEMS as text, for a test's last check. */
export async function watchedPage(context, problems) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  return page;
}

/** A headless Chromium without a profile, for contexts of one's own (browser.newContext). */
export function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}
