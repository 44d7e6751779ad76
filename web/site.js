// souk storefront enhancements. The pages work without this file; with it:
// autocomplete under the search box (GET /api/v1/search/suggest) and the
// variant picker's price. Text only ever goes in with textContent, never as
// HTML. Served from /assets/ under a script-src 'self' policy.
(function () {
  'use strict';
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
  var price = document.getElementById('variant-price');
  document.querySelectorAll('input[name="variant"]').forEach(function (r) {
    r.addEventListener('change', function () {
      if (price && r.dataset.price) price.textContent = r.dataset.price;
    });
  });
})();
