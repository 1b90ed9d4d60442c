// The console's only script (served as a file: the pages carry no inline script). It keeps the page
// live through Server-Sent Events, sends the page's actions to /api/v1 with the CSRF token, and copies.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  function refresh() {
    var target = document.getElementById('overview');
    if (!target || !target.dataset.live) return;
    fetch(target.dataset.live, { credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) { window.location.href = '/console/login'; return null; }
      return res.ok ? res.text() : null;
    }).then(function (html) {
      if (html !== null && html !== undefined) target.innerHTML = html;
    });
  }

  var pending = null;
  function soon() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; refresh(); }, 150);
  }

  function live() {
    var target = document.getElementById('overview');
    if (!target || !target.dataset.live || !window.EventSource) return;
    var store = target.dataset.store;
    var source = new EventSource('/console/events');
    var status = document.getElementById('live');
    source.onopen = function () { if (status) status.textContent = 'Live'; };
    source.onerror = function () { if (status) status.textContent = 'Reconnecting…'; };
    ['alert.opened', 'alert.changed', 'alert.resolved', 'orders', 'store.changed'].forEach(function (type) {
      source.addEventListener(type, function (event) {
        var data = JSON.parse(event.data);
        if (!store || data.storeId === store) soon();
      });
    });
  }

  function call(spec, body, from) {
    var parts = spec.split(' ');
    return fetch(parts[1], {
      method: parts[0],
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = text ? JSON.parse(text) : {};
        var own = from && from.querySelector ? from.querySelector('.result') : null;
        var out = own || document.getElementById('result');
        if (out) out.textContent = res.ok ? (data.message || 'Done.') : (data.message || 'Failed.');
        // A webhook's signing secret is shown once: the page stays until it is copied.
        if (res.ok && data.secret) {
          if (out) out.textContent = 'Added. Its signing secret, shown only now: ' + data.secret;
          return;
        }
        if (res.ok) setTimeout(function () { window.location.reload(); }, 600);
      });
    });
  }

  document.addEventListener('click', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLElement)) return;
    if (el.dataset.copy) {
      var input = document.getElementById(el.dataset.copy);
      if (input && navigator.clipboard) navigator.clipboard.writeText(input.value).then(function () { el.textContent = 'Copied'; });
      return;
    }
    if (el.tagName === 'BUTTON' && el.dataset.api) call(el.dataset.api);
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    event.preventDefault();
    var body = {};
    new FormData(form).forEach(function (value, key) {
      if (value === '') return;
      body[key] = form.dataset.number === key ? Number(value) : value;
    });
    call(form.dataset.api, body, form);
  });

  document.addEventListener('DOMContentLoaded', live);
})();
