// souk storefront enhancements. The pages work without this file; with it:
// autocomplete under the search box (GET /api/v1/search/suggest), the
// variant picker's price (copied from the chosen label, sale price
// included), and behaviour events (POST /api/v1/events): a
// product_view on product pages, an add_to_cart when its form is sent, a
// remove_from_cart or add_to_cart for a quantity changed on the cart page, a
// checkout_started on the checkout page, a rec_click on a recommended
// product, a search on the first page of results and a search_click on a result, under an anonymous id kept in this
// browser's localStorage (nothing personal; a signed-in customer's product
// pages send them as the customer, which links the id to the account); and
// the home page's "Picked for you" list; and the cart page's forms sent
// without a page load (its content replaced by the server's own answer, parsed
// with DOMParser, whose scripts never run). Text from the API only ever goes
// in with textContent, never as HTML. Served from /assets/ under a
// script-src 'self' policy. A form marked data-autosubmit (the session
// renewal, /account/renew) is sent at once; without this file it waits for its button.
(function () {
  'use strict';
  // a link to product P ({slug, title}) with its title as text
  var productLink = function (p) {
    var a = document.createElement('a');
    a.href = '/p/' + encodeURIComponent(p.slug);
    a.textContent = p.title;
    return a;
  };
  var auto = document.querySelector('form[data-autosubmit]');
  if (auto) { auto.submit(); return; }
  var q = document.getElementById('q');
  var list = document.getElementById('suggest');
  if (q && list && window.fetch) {
    var timer = 0, seq = 0;
    var clear = function () { while (list.firstChild) list.removeChild(list.firstChild); };
    q.addEventListener('input', function () {
      clearTimeout(timer);
      var text = q.value.trim();
      if (!text) { clear(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch('/api/v1/search/suggest?limit=5&q=' + encodeURIComponent(text.slice(0, 200)))
          .then(function (r) { return r.ok ? r.json() : { data: [] }; })
          .then(function (j) {
            if (mine !== seq) return;
            clear();
            (j.data || []).forEach(function (p) {
              var li = document.createElement('li');
              li.appendChild(productLink(p));
              list.appendChild(li);
            });
          })
          .catch(clear);
      }, 150);
    });
    q.addEventListener('keydown', function (e) { if (e.key === 'Escape') clear(); });
    document.addEventListener('click', function (e) { if (e.target !== q) clear(); });
  }
  var visitor = function () {
    try {
      var v = localStorage.getItem('souk_visitor');
      if (!v || !/^[A-Za-z0-9_-]{8,64}$/.test(v)) {
        var bytes = new Uint8Array(12);
        crypto.getRandomValues(bytes);
        v = 'v-' + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
        localStorage.setItem('souk_visitor', v);
      }
      return v;
    } catch (e) { return null; }
  };
  var seqn = 0;
  // a signed-in customer's uncached pages carry the CSRF token: events then go as the customer, and the
  // server links this browser's anonymous id to the account (a session that just ended: sent anonymously)
  var csrfMeta = document.querySelector('meta[name="souk-csrf"]');
  var post = function (body, signed) {
    var headers = { 'Content-Type': 'application/json' };
    if (signed) headers['X-CSRF-Token'] = csrfMeta.content;
    return fetch('/api/v1/events', { method: 'POST', keepalive: true, headers: headers, body: body });
  };
  var send = function (ev) {
    var v = visitor();
    if (!v || !window.fetch) return;
    ev.id = 'w-' + Date.now().toString(36) + '-' + (++seqn) + '-' + Math.random().toString(36).slice(2, 8);
    ev.anonymous_id = v;
    var body = JSON.stringify({ events: [ev] });
    post(body, !!csrfMeta)
      .then(function (r) { if (r.status === 401 && csrfMeta) return post(body, false); })
      .catch(function () {});
  };
  var article = document.querySelector('article.product[data-product]');
  if (article) send({ type: 'product_view', product_id: article.dataset.product });
  var wireRecs = function (sec) {
    sec.querySelectorAll('a').forEach(function (a, i) {
      a.addEventListener('click', function () {
        var slug = decodeURIComponent(a.pathname.replace(/^\/p\//, ''));
        var ev = { type: 'rec_click', list: sec.dataset.list, position: i + 1, properties: { slug: slug.slice(0, 200) } };
        if (sec.dataset.model) ev.model_version = Number(sec.dataset.model);
        var card = a.closest('li');
        if (card && card.dataset.product) ev.product_id = card.dataset.product;
        if (ev.product_id) send(ev);
      });
    });
  };
  document.querySelectorAll('section.recs[data-list]').forEach(wireRecs);
  // the home page's "Picked for you": this browser's shopper's list, drawn as the server draws cards
  var forYou = document.getElementById('for-you');
  var me = forYou && window.fetch ? visitor() : null;
  if (me) {
    fetch('/api/v1/recommendations/for-you?limit=4&anonymous_id=' + encodeURIComponent(me))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j || !j.data || !j.data.length || j.strategy === 'trending') return; // nothing personal yet
        var grid = forYou.querySelector('ul.grid');
        j.data.forEach(function (p) {
          var li = document.createElement('li');
          li.className = 'card';
          li.dataset.product = p.id;
          var h = document.createElement('h3');
          h.appendChild(productLink(p));
          li.appendChild(h);
          if (p.price && typeof p.price.amount === 'number') {
            var pr = document.createElement('p');
            pr.className = 'price';
            var digits = 2;
            try { digits = new Intl.NumberFormat('en', { style: 'currency', currency: p.price.currency }).resolvedOptions().maximumFractionDigits; } catch (e) { /* keep 2 */ }
            var money = function (a) { return p.price.currency + ' ' + (a / Math.pow(10, digits)).toFixed(digits); };
            if (p.price.sale && typeof p.price.sale.amount === 'number') { // a flash sale runs: as the server's cards
              var now = document.createElement('span');
              now.className = 'sale';
              now.textContent = money(p.price.sale.amount);
              var was = document.createElement('del');
              was.textContent = money(p.price.amount);
              pr.append(now, ' ', was);
            } else {
              pr.textContent = money(p.price.amount);
            }
            li.appendChild(pr);
          }
          grid.appendChild(li);
        });
        if (j.model_version) forYou.dataset.model = String(j.model_version);
        forYou.hidden = false;
        wireRecs(forYou);
      })
      .catch(function () {});
  }
  // adding to the cart (the form still does the work): an add_to_cart event
  var addForm = document.querySelector('form[action="/cart/add"]');
  if (addForm && article) {
    addForm.addEventListener('submit', function () {
      var chosen = addForm.querySelector('input[name="variant"]:checked');
      var qty = addForm.querySelector('input[name="quantity"]');
      var ev = { type: 'add_to_cart', product_id: article.dataset.product, quantity: Math.max(1, Math.min(99, Number(qty && qty.value) || 1)) };
      if (chosen) ev.variant_id = chosen.value;
      send(ev);
    });
  }
  // the cart page's quantity forms: a lower quantity or Remove sends remove_from_cart for what
  // went, a higher one add_to_cart for what came (F: the form, SUBMITTER: the button pressed)
  var cartEvent = function (f, submitter) {
    var variant = f.querySelector('input[name="variant"]'), qty = f.querySelector('input[name="quantity"]');
    if (f.getAttribute('action') !== '/cart/update' || !variant || !qty) return;
    var before = Number(qty.defaultValue) || 0;
    var after = submitter && submitter.name === 'remove' ? 0 : Math.max(0, Number(qty.value) || 0);
    if (after === before) return;
    send({ type: after < before ? 'remove_from_cart' : 'add_to_cart', variant_id: variant.value,
      quantity: Math.min(999, Math.abs(after - before)) });
  };
  // the cart page's forms without a page load: each is sent by fetch, and the cart page the server
  // answers (after its redirect, or an error page) takes the place of this one's content; the
  // status line keeps its element, so screen readers hear what changed, and focus stays where it was.
  // Without script (or fetch) the forms post and the browser loads the answer, as before.
  var main = document.getElementById('main');
  if (location.pathname === '/cart' && main && window.fetch && window.DOMParser) {
    document.addEventListener('submit', function (e) {
      var f = e.target;
      var action = f.getAttribute && f.getAttribute('action');
      if (!action || !/^\/cart\/(update|coupon|shipping)$/.test(action)) return;
      e.preventDefault();
      cartEvent(f, e.submitter);
      var data = new URLSearchParams(new FormData(f));
      if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
      var focused = document.activeElement && document.activeElement.id;
      fetch(action, { method: 'POST', body: data, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
        .then(function (r) { return r.text().then(function (t) { return { url: r.url, text: t }; }); })
        .then(function (a) {
          var next = new DOMParser().parseFromString(a.text, 'text/html').getElementById('main');
          if (!next) { location.assign(a.url); return; }
          var oldStatus = main.querySelector('[role="status"]'), newStatus = next.querySelector('[role="status"]');
          var nodes = Array.prototype.map.call(next.childNodes, function (n) { return document.importNode(n, true); });
          main.replaceChildren.apply(main, nodes);
          var placed = main.querySelector('[role="status"]');
          if (oldStatus && placed) { // the same live region, with the new words
            oldStatus.textContent = newStatus ? newStatus.textContent : '';
            placed.replaceWith(oldStatus);
          }
          if (new URL(a.url).pathname === '/cart') history.replaceState(null, '', a.url);
          var again = focused && document.getElementById(focused);
          if (again) again.focus();
        })
        .catch(function () { f.submit(); });
    });
  } else {
    document.querySelectorAll('form[action="/cart/update"]').forEach(function (f) {
      f.addEventListener('submit', function (e) { cartEvent(f, e.submitter); });
    });
  }
  // the checkout page with its form: checkout_started, once per visit of the page
  if (document.querySelector('form[action="/checkout"]')) send({ type: 'checkout_started' });
  var results = document.querySelector('ul.grid[data-query]');
  if (results) {
    var query = results.dataset.query.slice(0, 200), offset = Number(results.dataset.offset) || 0;
    if (query && offset === 0) send({ type: 'search', query: query });
    results.querySelectorAll('li.card[data-product] a').forEach(function (a, i) {
      a.addEventListener('click', function () {
        if (query) send({ type: 'search_click', query: query, position: offset + i + 1, product_id: a.closest('li').dataset.product });
      });
    });
  }
  var price = document.getElementById('variant-price');
  document.querySelectorAll('input[name="variant"]').forEach(function (r) {
    r.addEventListener('change', function () {
      var shown = r.parentNode && r.parentNode.querySelector('.vprice'); // the label's price, sale and all
      if (price && shown) price.replaceChildren.apply(price, Array.prototype.map.call(shown.childNodes, function (n) { return n.cloneNode(true); }));
    });
  });
})();
