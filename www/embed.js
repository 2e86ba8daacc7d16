/*! udesk-chat embed loader. Put one tag on a page:
 *
 *   <script src="https://YOUR-RELAY/widget/embed.js" async
 *           data-locale="zh-CN" data-position="right" data-title="Help"
 *           data-primary-color="#e4007f" data-launcher-label="Chat"
 *           data-assign-type="robot" data-group-id="" data-agent-id="" data-channel=""
 *           data-theme="auto" data-open></script>
 *
 * Every data-attribute is optional; data-relay defaults to the origin this file is served from.
 * window.UdeskChat exists as soon as this script runs; calls made before the widget has loaded
 * are queued and replayed:
 *   UdeskChat.open() / close() / toggle()
 *   UdeskChat.identify({user_id, signature, name, email})
 *   UdeskChat.setLocale('en' | 'zh-CN')
 *   UdeskChat.on(event, fn) / off(event, fn)   events: open, close, message, unread, session, ready
 *
 * This file keeps its name across releases (it is served with Cache-Control: no-cache); it
 * reads manifest.json next to itself to find the hashed JS module and wasm of the current build.
 *
 * The build (www/write-manifest.sh) drops this comment, indentation, blank lines and lines that
 * start with //: keep code free of multi-line strings and of lines starting with // in strings.
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
  var config = {
    relay: data.relay || new URL(src).origin,
    locale: data.locale,
    position: data.position,
    title: data.title,
    primary_color: data.primaryColor,
    launcher_label: data.launcherLabel,
    assign_type: data.assignType,
    group_id: data.groupId,
    agent_id: data.agentId,
    channel: data.channel,
    theme: data.theme,
    open: data.open
  };

  var queue = [], listeners = {}, widget = null;

  function invoke(name, args) {
    if (name === 'identify') return widget.identify(JSON.stringify(args[0] || {}));
    if (name === 'setLocale') return widget.setLocale(String(args[0] || ''));
    return widget[name]();
  }
  function call(name) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      if (widget) invoke(name, args); else queue.push([name, args]);
      return api;
    };
  }
  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { console.error('udesk-chat: a listener for "' + name + '" threw', e); }
    });
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
  if (previous && Array.isArray(previous.q)) queue = previous.q.slice();
  w.UdeskChat = api;

  function load() {
    fetch(new URL('manifest.json', base), { cache: 'no-cache', credentials: 'omit' })
      .then(function (r) {
        if (!r.ok) throw new Error('manifest.json: HTTP ' + r.status);
        return r.json();
      })
      .then(function (manifest) {
        return import(new URL(manifest.js, base).href).then(function (module) {
          return module.default({ module_or_path: new URL(manifest.wasm, base) }).then(function () {
            return module;
          });
        });
      })
      .then(function (module) {
        widget = module.mount(JSON.stringify(config), emit);
        api.ready = true;
        queue.splice(0).forEach(function (c) {
          try { invoke(c[0], c[1]); } catch (e) { console.error('udesk-chat: ' + c[0] + '() failed', e); }
        });
        emit('ready', {});
      })
      .catch(function (e) { console.error('udesk-chat: the widget could not load', e); });
  }

  if (d.body) load(); else d.addEventListener('DOMContentLoaded', load);
})();
