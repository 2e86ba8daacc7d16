/*! udesk-chat embed loader. Put one tag on a page:
 *
 *   <script src="https://YOUR-RELAY/widget/embed.js" async
 *           data-locale="zh-CN" data-position="right" data-title="Help"
 *           data-primary-color="#e4007f" data-launcher-label="Chat"
 *           data-assign-type="robot" data-group-id="" data-agent-id="" data-channel=""
 *           data-theme="auto" data-open></script>
 *
 * Every data-attribute is optional; data-relay defaults to the origin this file is served from.
 * window.UdeskChat exists as soon as this script runs:
 *   UdeskChat.open() / close() / toggle()
 *   UdeskChat.identify({user_id, signature, name, email})
 *   UdeskChat.setLocale('en' | 'zh-CN')
 *   UdeskChat.on(event, fn) / off(event, fn)   events: open, close, message, unread, session, ready
 *
 * This file is the whole cost of the widget on a page nobody chats on. It draws the launcher
 * itself, at once, in the widget's Shadow DOM, and loads the chat app (a wasm module, ~50x this
 * file) only on intent: pointer over, focus on or touch of the launcher starts the download
 * (not with navigator.connection.saveData), a click or UdeskChat.open() loads and opens it, and
 * a browser that already has a conversation with this site loads it when the page is idle, so
 * that replies and the unread badge arrive live. Until then it makes no request to the relay's
 * /v1 API and writes nothing to storage. The app then mounts into the same shadow root and takes
 * over; the launcher stays this file's and follows the app's open/close/unread events.
 *
 * This file keeps its name across releases (it is served with Cache-Control: no-cache); it
 * reads manifest.json next to itself to find the hashed JS module and wasm of the current build.
 * The build minifies it (www/write-manifest.sh, terser).
 */
(function () {
  'use strict';
  var w = window, d = document;
  var previous = w.UdeskChat;
  if (previous && previous.__udesk) return; // the tag is on the page twice: keep the first

  var script = d.currentScript;
  var src = (script && script.src) || location.href;
  var base = new URL('.', src);
  var data = (script && script.dataset) || {};
  var relay = data.relay || new URL(src).origin;

  // The shell's stylesheet: tokens, launcher, badge and the panel's frame. Generated from
  // src/theme.rs (shell_stylesheet); a unit test keeps this line equal to it.
  var CSS = ':host{all:initial}.udesk-root{--u-primary:var(--udesk-primary, #1f6feb);--u-on-primary:var(--udesk-on-primary, #ffffff);--u-bg:var(--udesk-bg, #ffffff);--u-surface:var(--udesk-surface, #f3f4f6);--u-text:var(--udesk-text, #1f2328);--u-muted:var(--udesk-muted, #5f6670);--u-border:var(--udesk-border, #d9dce1);--u-visitor-bubble:var(--udesk-visitor-bubble, var(--u-primary));--u-visitor-text:var(--udesk-visitor-text, var(--u-on-primary));--u-danger:var(--udesk-danger, #c62828);--u-success:var(--udesk-success, #1b7f3b);--u-warning-bg:var(--udesk-warning-bg, #fff4d6);--u-focus:var(--udesk-focus, #ffb000);--u-star:var(--udesk-star, #f5a623);--u-font:var(--udesk-font, system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Microsoft YaHei", sans-serif);--u-font-size:var(--udesk-font-size, 14px);--u-line-height:var(--udesk-line-height, 1.45);--u-radius:var(--udesk-radius, 16px);--u-bubble-radius:var(--udesk-bubble-radius, 14px);--u-button-radius:var(--udesk-button-radius, 8px);--u-spacing:var(--udesk-spacing, 8px);--u-panel-width:var(--udesk-panel-width, 380px);--u-panel-height:var(--udesk-panel-height, 620px);--u-launcher-size:var(--udesk-launcher-size, 56px);--u-offset:var(--udesk-offset, 20px);--u-shadow:var(--udesk-shadow, 0 12px 40px rgba(0,0,0,.18));--u-z-index:var(--udesk-z-index, 2147483000);color-scheme:light}.udesk-root[data-theme=dark]{--u-primary:var(--udesk-dark-primary, var(--udesk-primary, #4c8dff));--u-on-primary:var(--udesk-dark-on-primary, var(--udesk-on-primary, #0b1b3a));--u-bg:var(--udesk-dark-bg, var(--udesk-bg, #17181c));--u-surface:var(--udesk-dark-surface, var(--udesk-surface, #23252b));--u-text:var(--udesk-dark-text, var(--udesk-text, #e8eaed));--u-muted:var(--udesk-dark-muted, var(--udesk-muted, #a0a6b0));--u-border:var(--udesk-dark-border, var(--udesk-border, #3a3d45));--u-visitor-bubble:var(--udesk-dark-visitor-bubble, var(--udesk-visitor-bubble, var(--u-primary)));--u-visitor-text:var(--udesk-dark-visitor-text, var(--udesk-visitor-text, var(--u-on-primary)));--u-danger:var(--udesk-dark-danger, var(--udesk-danger, #ff6b6b));--u-success:var(--udesk-dark-success, var(--udesk-success, #5fd38d));--u-warning-bg:var(--udesk-dark-warning-bg, var(--udesk-warning-bg, #3d3216));--u-focus:var(--udesk-dark-focus, var(--udesk-focus, #ffcc4d));--u-star:var(--udesk-dark-star, var(--udesk-star, #f5b843));color-scheme:dark}@media (prefers-color-scheme:dark){.udesk-root[data-theme=auto]{--u-primary:var(--udesk-dark-primary, var(--udesk-primary, #4c8dff));--u-on-primary:var(--udesk-dark-on-primary, var(--udesk-on-primary, #0b1b3a));--u-bg:var(--udesk-dark-bg, var(--udesk-bg, #17181c));--u-surface:var(--udesk-dark-surface, var(--udesk-surface, #23252b));--u-text:var(--udesk-dark-text, var(--udesk-text, #e8eaed));--u-muted:var(--udesk-dark-muted, var(--udesk-muted, #a0a6b0));--u-border:var(--udesk-dark-border, var(--udesk-border, #3a3d45));--u-visitor-bubble:var(--udesk-dark-visitor-bubble, var(--udesk-visitor-bubble, var(--u-primary)));--u-visitor-text:var(--udesk-dark-visitor-text, var(--udesk-visitor-text, var(--u-on-primary)));--u-danger:var(--udesk-dark-danger, var(--udesk-danger, #ff6b6b));--u-success:var(--udesk-dark-success, var(--udesk-success, #5fd38d));--u-warning-bg:var(--udesk-dark-warning-bg, var(--udesk-warning-bg, #3d3216));--u-focus:var(--udesk-dark-focus, var(--udesk-focus, #ffcc4d));--u-star:var(--udesk-dark-star, var(--udesk-star, #f5b843));color-scheme:dark}}.udesk-root{font-family:var(--u-font);font-size:var(--u-font-size);line-height:var(--u-line-height);color:var(--u-text);-webkit-font-smoothing:antialiased;text-align:left;direction:ltr}.udesk-root *,.udesk-root *::before,.udesk-root *::after{box-sizing:border-box}.udesk-root button,.udesk-root textarea,.udesk-root input{font:inherit;color:inherit}.udesk-root :focus-visible{outline:3px solid var(--u-focus);outline-offset:2px}.udesk-root [hidden]{display:none!important}.sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}.launcher{position:fixed;bottom:var(--u-offset);right:var(--u-offset);z-index:var(--u-z-index);min-width:var(--u-launcher-size);height:var(--u-launcher-size);padding:0;display:flex;align-items:center;justify-content:center;gap:var(--u-spacing);border:0;border-radius:calc(var(--u-launcher-size)/2);background:var(--u-primary);color:var(--u-on-primary);box-shadow:var(--u-shadow);cursor:pointer;font-weight:600;transition:transform .15s ease}.launcher:hover{transform:scale(1.05)}.launcher.labelled{padding:0 calc(var(--u-launcher-size)/3.5)}.launcher svg{width:26px;height:26px;flex:none}.launcher[aria-expanded=true] .i-chat,.launcher[aria-expanded=false] .i-close{display:none}.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:var(--u-danger);color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid var(--u-bg)}.panel{position:fixed;z-index:var(--u-z-index);right:var(--u-offset);bottom:calc(var(--u-offset) + var(--u-launcher-size) + 12px);width:var(--u-panel-width);height:min(var(--u-panel-height),calc(100vh - var(--u-launcher-size) - 2*var(--u-offset) - 24px));display:flex;flex-direction:column;overflow:hidden;background:var(--u-bg);color:var(--u-text);border:1px solid var(--u-border);border-radius:var(--u-radius);box-shadow:var(--u-shadow);animation:udesk-in .18s ease-out}.udesk-root[data-position=left] .panel{right:auto;left:var(--u-offset)}@keyframes udesk-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}@media (prefers-reduced-motion:reduce){.panel{animation:none}.launcher{transition:none}}.header{display:flex;align-items:center;gap:calc(var(--u-spacing)*1.25);padding:calc(var(--u-spacing)*1.5);background:var(--u-primary);color:var(--u-on-primary)}.header .who{flex:1;min-width:0}.header .name{margin:0;font-size:1.05em;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.icon-button{width:36px;height:36px;flex:none;display:flex;align-items:center;justify-content:center;border:0;border-radius:var(--u-button-radius);background:transparent;color:inherit;cursor:pointer}.icon-button:hover{background:color-mix(in srgb,currentColor 16%,transparent)}.icon-button svg{width:20px;height:20px}@media (max-width:480px){.panel,.udesk-root[data-position=left] .panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0;border:0}.udesk-root[data-open=true] .launcher{display:none}}.loading{flex:1;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:calc(var(--u-spacing)*1.5);padding:calc(var(--u-spacing)*3);color:var(--u-muted);text-align:center}.loading button{border:1px solid var(--u-border);background:var(--u-bg);border-radius:var(--u-button-radius);padding:6px 16px;cursor:pointer}';
  // `!important` inline declarations beat any host stylesheet, and `all: initial` stops inherited
  // host styles at the border; custom properties (--udesk-…) still pass, so theming works.
  var HOST_STYLE = 'all:initial !important;display:block !important;position:static !important;' +
    'visibility:visible !important;opacity:1 !important;transform:none !important;' +
    'filter:none !important;contain:none !important;';
  var ICONS = '<svg class="i-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>' +
    '<svg class="i-close" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  var TEXTS = {
    en: ['Open chat', 'Close chat', function (n) { return n === 1 ? '1 unread message' : n + ' unread messages'; },
      'Chat with us', 'Loading the chat…', 'The chat could not load.', 'Try again'],
    'zh-CN': ['打开在线客服', '关闭在线客服', function (n) { return n + ' 条未读消息'; },
      '在线客服', '正在加载…', '在线客服加载失败。', '重试']
  };

  // The visitor's language, decided once here and handed to the app: the page's choice, else the
  // first supported browser language, else English.
  function localeOf(tag) {
    var primary = String(tag || '').trim().split(/[-_]/)[0].toLowerCase();
    return primary === 'zh' ? 'zh-CN' : primary === 'en' ? 'en' : null;
  }
  var locale = localeOf(data.locale) ||
    [].concat(navigator.languages || [], navigator.language || []).map(localeOf).filter(Boolean)[0] || 'en';
  // What the app reads (src/config.rs); the shell's own attributes are read here alone.
  var config = {
    relay: relay,
    locale: locale,
    title: data.title,
    assign_type: data.assignType,
    group_id: data.groupId,
    agent_id: data.agentId,
    channel: data.channel,
    open: data.open
  };
  function choice(name, value, allowed) {
    if (value === undefined || allowed.indexOf(value) >= 0) return value || allowed[0];
    console.warn('udesk-chat: data-' + name + ' "' + value + '" is not ' + allowed.join(', ') + '; using ' + allowed[0]);
    return allowed[0];
  }
  var saveData = !!(navigator.connection && navigator.connection.saveData);

  var queue = [], listeners = {};
  var app = null, loading = null, manifest = null;
  var host, root, launcher, badge, frame = null;
  var open = false, unread = 0, wantOpen = false, gone = false;

  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { console.error('udesk-chat: a listener for "' + name + '" threw', e); }
    });
  }
  function invoke(name, args) {
    if (name === 'identify') return app.identify(JSON.stringify(args[0] || {}));
    if (name === 'setLocale') return app.setLocale(String(args[0] || ''));
    return app[name]();
  }
  // Before the app has loaded, open/close/toggle drive the shell; identify and setLocale wait.
  function call(name) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      if (name === 'setLocale' && localeOf(args[0])) { locale = localeOf(args[0]); paint(); }
      if (app) invoke(name, args);
      else if (name === 'open' || (name === 'toggle' && !open)) openSoon();
      else if (name === 'close' || name === 'toggle') closeFrame();
      else queue.push([name, args]);
      return api;
    };
  }

  var api = {
    __udesk: true,
    ready: false,
    open: call('open'),
    close: call('close'),
    toggle: call('toggle'),
    identify: call('identify'),
    setLocale: call('setLocale'),
    on: function (event, fn) {
      if (typeof fn === 'function') (listeners[event] = listeners[event] || []).push(fn);
      return api;
    },
    off: function (event, fn) {
      var list = listeners[event] || [], i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
      return api;
    }
  };
  // A page may have queued calls on its own stub ({q: [[name, args], …]}) before this loaded.
  var early = previous && Array.isArray(previous.q) ? previous.q.slice() : [];
  w.UdeskChat = api;

  function el(tag, attrs, parent) {
    var node = d.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function texts() { return TEXTS[locale]; }

  // The shell: host element, shadow root, launcher with its badge.
  function draw() {
    host = el('udesk-chat', { style: HOST_STYLE, 'data-testid': 'udesk-chat' });
    if (data.primaryColor) host.style.setProperty('--udesk-primary', data.primaryColor);
    var shadow = host.attachShadow({ mode: 'open' });
    el('style', {}, shadow).textContent = CSS;
    root = el('div', {
      'class': 'udesk-root',
      'data-testid': 'udesk-root',
      'data-theme': choice('theme', data.theme, ['auto', 'light', 'dark']),
      'data-position': choice('position', data.position, ['right', 'left'])
    }, shadow);
    launcher = el('button', {
      type: 'button',
      'class': data.launcherLabel ? 'launcher labelled' : 'launcher',
      'data-testid': 'launcher',
      'aria-haspopup': 'dialog'
    }, root);
    launcher.innerHTML = ICONS;
    if (data.launcherLabel) el('span', { 'data-testid': 'launcher-label' }, launcher).textContent = data.launcherLabel;
    badge = el('span', { 'class': 'badge', 'data-testid': 'unread-badge', 'aria-hidden': 'true' }, launcher);
    launcher.addEventListener('click', function () {
      if (app) app.toggle();
      else if (frame) closeFrame();
      else openSoon(true);
    });
    ['pointerenter', 'focus', 'touchstart'].forEach(function (intent) {
      launcher.addEventListener(intent, prefetch, { passive: true });
    });
    paint();
    d.body.appendChild(host);
  }

  function paint() {
    var t = texts(), action = open ? t[1] : t[0];
    root.lang = locale;
    root.setAttribute('data-open', String(open));
    launcher.setAttribute('aria-expanded', String(open));
    launcher.setAttribute('aria-label', unread ? action + ' (' + t[2](unread) + ')' : action);
    badge.textContent = String(Math.min(unread, 99));
    badge.hidden = !unread || open;
  }

  // The panel's frame while the app loads, or with a retry when it failed: a click never meets
  // a dead button.
  function showFrame(failed) {
    var t = texts();
    if (!frame) {
      frame = el('div', { 'class': 'panel', role: 'dialog', 'aria-modal': 'false', 'data-testid': 'panel-frame' }, root);
      frame.addEventListener('keydown', function (e) { if (e.key === 'Escape') closeFrame(); });
    }
    frame.setAttribute('aria-label', data.title || t[3]);
    frame.textContent = '';
    var header = el('div', { 'class': 'header' }, frame);
    el('p', { 'class': 'name who' }, header).textContent = data.title || t[3];
    var close = el('button', { type: 'button', 'class': 'icon-button', 'aria-label': t[1] }, header);
    close.innerHTML = ICONS;
    close.firstChild.remove();
    close.onclick = closeFrame;
    var body = el('div', { 'class': 'loading', role: 'status', 'data-testid': 'panel-loading' }, frame);
    el('p', {}, body).textContent = failed ? t[5] : t[4];
    if (failed) {
      var retry = el('button', { type: 'button', 'data-testid': 'panel-retry' }, body);
      retry.textContent = t[6];
      retry.onclick = function () { showFrame(false); start(); };
    }
    open = true;
    paint();
  }
  function closeFrame() {
    wantOpen = false;
    if (!frame) return;
    frame.remove();
    frame = null;
    open = false;
    paint();
    launcher.focus();
  }
  function openSoon(focus) {
    if (gone) return;
    wantOpen = true;
    showFrame(false);
    if (focus) frame.querySelector('button').focus();
    start();
  }

  // What the app tells the page also steers the launcher.
  function onAppEvent(name, detail) {
    if (name === 'open') {
      open = true;
      if (frame) { frame.remove(); frame = null; }
    } else if (name === 'close') {
      open = false;
      launcher.focus();
    } else if (name === 'unread') {
      unread = detail.count;
    }
    paint();
    emit(name, detail);
  }

  function fetchManifest() {
    if (!manifest) {
      manifest = fetch(new URL('manifest.json', base), { cache: 'no-cache', credentials: 'omit' })
        .then(function (r) {
          if (!r.ok) throw new Error('manifest.json: HTTP ' + r.status);
          return r.json();
        });
      manifest.catch(function () { manifest = null; });
    }
    return manifest;
  }
  // Download and compile the app, without starting it.
  function fetchApp() {
    if (!loading) {
      loading = fetchManifest().then(function (m) {
        return import(new URL(m.js, base).href).then(function (module) {
          return module.default({ module_or_path: new URL(m.wasm, base) }).then(function () { return module; });
        });
      });
      loading.catch(function () { loading = null; });
    }
    return loading;
  }
  function prefetch() {
    if (!saveData) fetchApp().catch(function () {});
  }
  // Download and start the app (it takes over the shell), then replay what waited for it.
  function start() {
    return fetchApp().then(function (module) {
      if (app) return;
      app = module.mount(root, JSON.stringify(config), onAppEvent);
      api.ready = true;
      queue.splice(0).forEach(function (c) {
        try { invoke(c[0], c[1]); } catch (e) { console.error('udesk-chat: ' + c[0] + '() failed', e); }
      });
      if (wantOpen) { wantOpen = false; app.open(); }
      emit('ready', {});
    }).catch(function (e) {
      console.error('udesk-chat: the widget could not load', e);
      if (frame) showFrame(true);
    });
  }

  // A browser that already talks with this site (the app saved a conversation, now or in another
  // tab) gets the app when the page is idle; every other page view only checks, once idle, that the relay serves
  // this page's origin (else the launcher goes: the app could never load here).
  var SAVED = 'udesk-chat:v1:' + new URL(relay).origin;
  function knownVisitor() {
    try { return localStorage.getItem(SAVED) !== null; } catch (e) { return false; }
  }
  function whenIdle(fn) {
    var later = function () { (w.requestIdleCallback || setTimeout)(fn, { timeout: 2000 }); };
    if (d.readyState === 'complete') later(); else w.addEventListener('load', later);
  }
  function boot() {
    draw();
    // Another tab of this site started a conversation: this one follows it too.
    w.addEventListener('storage', function (e) {
      if (e.key === SAVED && e.newValue !== null && !app) whenIdle(start);
    });
    early.forEach(function (c) { if (api[c[0]]) api[c[0]].apply(api, c[1] || []); });
    if (data.open !== undefined && !app && !frame) { showFrame(false); start(); }
    whenIdle(function () {
      if (app || loading) return;
      if (knownVisitor()) { start(); return; }
      if (saveData) return;
      fetchManifest().catch(function (e) {
        if (app || frame) return;
        gone = true;
        host.remove();
        console.error('udesk-chat: the widget could not load', e);
      });
    });
  }

  if (d.body) boot(); else d.addEventListener('DOMContentLoaded', boot);
})();
