// main.js — the admin (/admin) and vendor (/vendor) dashboards: one bundle, the
// face named by the shell page's <meta name="souk-face">. Pages are chosen by the
// URL's fragment (#/orders/ord_…), so the server serves a single shell per face.
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { face, can } from './api.js';
import { Overview } from './overview.js';
import { OrderList, OrderDetail } from './orders.js';
import { Jobs } from './jobs.js';
import { Audit } from './audit.js';
import { Models } from './models.js';
import { ProductList, ProductDetail } from './products.js';
import { Users } from './users.js';
import { Webhooks } from './webhooks.js';
import { Promotions } from './promotions.js';
import { Customers, CustomerDetail } from './customers.js';
import { Reviews } from './reviews.js';
import { Search } from './search.js';
import { Mail } from './mail.js';
import { Stock } from './stock.js';
import { Vendors } from './vendors.js';
import { Imports } from './imports.js';
import { FraudHolds } from './fraud.js';
import { Pricing } from './pricing.js';

const NAV = {
  admin: [['#/', 'Overview'], ['#/orders', 'Orders'],
    ...(can('catalog:write') ? [['#/products', 'Products']] : []),
    ...(can('analytics:read') || can('users:manage') ? [['#/customers', 'Customers']] : []),
    ...(can('analytics:read') ? [['#/stock', 'Stock'], ['#/search', 'Search']] : []),
    ...(can('analytics:read') ? [['#/vendors', 'Vendors']] : []),
    ...(can('reviews:moderate') ? [['#/reviews', 'Reviews']] : []),
    ...(can('analytics:read') ? [['#/fraud', 'Fraud holds']] : []),
    ...(can('recommendations:manage') ? [['#/models', 'Models']] : []),
    ...(can('jobs:manage') ? [['#/jobs', 'Jobs']] : []),
    ...(can('pricing:manage') ? [['#/promotions', 'Promotions']] : []),
    ...(can('dynamic_pricing:read') ? [['#/pricing', 'Pricing']] : []),
    ...(can('webhooks:manage') ? [['#/webhooks', 'Webhooks']] : []),
    ...(can('users:manage') ? [['#/users', 'Users']] : []),
    ...(can('audit:read') ? [['#/audit', 'Audit log']] : []),
    ...(can('mail:read') ? [['#/mail', 'Mail']] : [])],
  vendor: [['#/', 'Your sales'], ['#/orders', 'Your orders'], ['#/stock', 'Your stock']],
};

// The skip link moves focus without touching the fragment, which names the page.
function skip(e) {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

function route(hash) {
  const path = (hash || '#/').replace(/^#/, '') || '/';
  const m = path.match(/^\/orders\/([A-Za-z0-9_]+)$/);
  if (m) return { page: 'order', id: m[1], nav: '#/orders' };
  if (path === '/orders') return { page: 'orders', nav: '#/orders' };
  if (path === '/stock' && (face === 'vendor' || can('analytics:read'))) return { page: 'stock', nav: '#/stock' };
  if (face === 'admin' && can('catalog:write')) {
    const p = path.match(/^\/products\/([A-Za-z0-9_]+)$/);
    if (p) return { page: 'product', id: p[1], nav: '#/products' };
    if (path === '/products') return { page: 'products', nav: '#/products' };
    if (path === '/import') return { page: 'import', nav: '#/products' };
  }
  if (face === 'admin') {
    if (path === '/jobs' && can('jobs:manage')) return { page: 'jobs', nav: '#/jobs' };
    if (path === '/audit' && can('audit:read')) return { page: 'audit', nav: '#/audit' };
    if (path === '/models' && can('recommendations:manage')) return { page: 'models', nav: '#/models' };
    if (path === '/users' && can('users:manage')) return { page: 'users', nav: '#/users' };
    if (path === '/webhooks' && can('webhooks:manage')) return { page: 'webhooks', nav: '#/webhooks' };
    if (path === '/promotions' && can('pricing:manage')) return { page: 'promotions', nav: '#/promotions' };
    const c = path.match(/^\/customers\/(usr_[A-Za-z0-9]+)$/);
    if (c && (can('analytics:read') || can('users:manage'))) return { page: 'customer', id: c[1], nav: '#/customers' };
    if (path === '/customers' && (can('analytics:read') || can('users:manage'))) return { page: 'customers', nav: '#/customers' };
    if (path === '/search' && can('analytics:read')) return { page: 'search', nav: '#/search' };
    if (path === '/reviews' && can('reviews:moderate')) return { page: 'reviews', nav: '#/reviews' };
    if (path === '/mail' && can('mail:read')) return { page: 'mail', nav: '#/mail' };
    if (path === '/vendors' && can('analytics:read')) return { page: 'vendors', nav: '#/vendors' };
    if (path === '/fraud' && can('analytics:read')) return { page: 'fraud', nav: '#/fraud' };
    if (path === '/pricing' && can('dynamic_pricing:read')) return { page: 'pricing', nav: '#/pricing' };
  }
  return { page: 'overview', nav: '#/' };
}

function App() {
  const [r, setR] = useState(route(location.hash));
  useEffect(() => {
    const on = () => {
      setR(route(location.hash));
      document.getElementById('main')?.focus();
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    const names = { overview: face === 'vendor' ? 'Your sales' : 'Overview', orders: 'Orders', order: `Order ${r.id}`, jobs: 'Jobs', audit: 'Audit log', models: 'Models', products: 'Products', product: 'Product', users: 'Users', webhooks: 'Webhooks', promotions: 'Promotions', customers: 'Customers', customer: `Customer ${r.id}`, stock: face === 'vendor' ? 'Your stock' : 'Stock', search: 'Search', reviews: 'Reviews', mail: 'Mail', vendors: 'Vendors', import: 'Import and export', fraud: 'Fraud holds', pricing: 'Dynamic pricing' };
    document.title = `${names[r.page]} · souk ${face}`;
  }, [r]);
  return html`<div class="frame">
    <a class="skip" href="#main" onClick=${skip}>Skip to the content</a>
    <header class="top">
      <span class="brand">souk <span>${face}</span></span>
      <nav aria-label="Dashboard"><ul>${NAV[face].map(([href, label]) => html`<li><a href=${href} aria-current=${r.nav === href ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>
      <a class="shop-link" href="/">Shop</a>
    </header>
    <main id="main" tabindex="-1">
      ${r.page === 'overview' && html`<${Overview} />`}
      ${r.page === 'orders' && html`<${OrderList} />`}
      ${r.page === 'order' && html`<${OrderDetail} id=${r.id} />`}
      ${r.page === 'jobs' && html`<${Jobs} />`}
      ${r.page === 'audit' && html`<${Audit} />`}
      ${r.page === 'models' && html`<${Models} />`}
      ${r.page === 'products' && html`<${ProductList} />`}
      ${r.page === 'users' && html`<${Users} />`}
      ${r.page === 'webhooks' && html`<${Webhooks} />`}
      ${r.page === 'promotions' && html`<${Promotions} />`}
      ${r.page === 'customers' && html`<${Customers} />`}
      ${r.page === 'customer' && html`<${CustomerDetail} id=${r.id} />`}
      ${r.page === 'fraud' && html`<${FraudHolds} />`}
      ${r.page === 'product' && html`<${ProductDetail} id=${r.id} />`}
      ${r.page === 'stock' && html`<${Stock} />`}
      ${r.page === 'search' && html`<${Search} />`}
      ${r.page === 'reviews' && html`<${Reviews} />`}
      ${r.page === 'mail' && html`<${Mail} />`}
      ${r.page === 'vendors' && html`<${Vendors} />`}
      ${r.page === 'import' && html`<${Imports} />`}
      ${r.page === 'pricing' && html`<${Pricing} />`}
    </main>
  </div>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
