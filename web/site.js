// souk storefront enhancements. The pages work without this file; with it:
// autocomplete under the search box (GET /api/v1/search/suggest), the
// variant picker's price, and behaviour events (POST /api/v1/events): a
// product_view on product pages, a rec_click on a recommended product, a
// search on the first page of results and a search_click on a result,
// under an anonymous id kept in this browser's localStorage (nothing
// personal; the server links it to the account at sign-in). Text only ever
// goes in with textContent, never as HTML. Served from /assets/ under a
// script-src 'self' policy. A form marked data-autosubmit (the session
// renewal, /account/renew) is sent at once; without this file it waits for its button.
(function () {
  'use strict';
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
              var a = document.createElement('a');
              a.href = '/p/' + encodeURIComponent(p.slug);
              a.textContent = p.title;
              li.appendChild(a);
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
  var send = function (ev) {
    var v = visitor();
    if (!v || !window.fetch) return;
    ev.id = 'w-' + Date.now().toString(36) + '-' + (++seqn) + '-' + Math.random().toString(36).slice(2, 8);
    ev.anonymous_id = v;
    fetch('/api/v1/events', { method: 'POST', keepalive: true, headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: [ev] }) }).catch(function () {});
  };
  var article = document.querySelector('article.product[data-product]');
  if (article) send({ type: 'product_view', product_id: article.dataset.product });
  document.querySelectorAll('section.recs[data-list]').forEach(function (sec) {
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
  });
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
      if (price && r.dataset.price) price.textContent = r.dataset.price;
    });
  });
})();
