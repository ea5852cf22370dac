/* replayport portable player: rrweb's Replayer plus metadata, timeline markers and panels.
 * Runs under a strict CSP (this script is allowed by its hash). Data is read from the inert
 * <script type="application/json" id="rp-data"> block and only ever rendered with textContent,
 * so nothing in a recording can become markup or code in this page. */
(function () {
  "use strict";
  var api = { errors: [], warnings: [], finished: false, ready: null };
  window.replayport = api;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function fmt(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }
  function status(text) { $("rp-status").textContent = text || ""; }

  var data = JSON.parse($("rp-data").textContent);

  function decodeEvents(payload) {
    if (payload.encoding === "json") return Promise.resolve(payload.windows);
    if (payload.encoding !== "gzip+base64") return Promise.reject(new Error("unknown encoding"));
    var binary = atob(payload.data);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  // ---- header ---------------------------------------------------------------------------
  function renderHeader() {
    var s = data.session;
    $("rp-session").textContent = s.id;
    var rows = [
      ["start (UTC)", s.start_time], ["duration", fmt((s.duration_s || 0) * 1000)],
      ["pages", data.pages.map(function (p) { return p.path || p.url; }).join(" → ")],
      ["user (hashed)", s.distinct_id_hash], ["person (hashed)", s.person_id_hash],
      ["email (hashed)", s.email_hash],
      ["browser", [s.browser, s.os, s.device_type].filter(Boolean).join(" · ")],
      ["viewport", s.viewport_width && (s.viewport_width + "×" + s.viewport_height)],
      ["clicks", s.click_count], ["rage clicks", s.rage_click_count],
      ["console errors", s.console_error_count],
      ["privacy policy", s.privacy_policy_version], ["hash key id", s.hash_key_id],
      ["windows", data.windows.length], ["exported", data.exported_at],
    ];
    var dl = $("rp-meta");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") return;
      var div = el("div");
      div.appendChild(el("dt", "", row[0]));
      var dd = el("dd", "", row[1]);
      dd.title = String(row[1]);
      div.appendChild(dd);
      dl.appendChild(div);
    });
  }

  // ---- player state ---------------------------------------------------------------------
  var windowsEvents = null, replayer = null, current = null, playing = false, rows = [];
  var activeTab = "console";

  function collect(list, prefix) {
    return function () {
      var text = Array.prototype.map.call(arguments, function (a) {
        return a && a.message ? a.message : String(a);
      }).join(" ");
      list.push(prefix + text);
    };
  }
  var logger = {
    log: function () {}, debug: function () {},
    warn: collect(api.warnings, "rrweb: "), error: collect(api.errors, "rrweb: "),
  };

  function scaleStage() {
    if (!replayer) return;
    var wrapper = replayer.wrapper, iframe = replayer.iframe, stage = $("rp-stage");
    var w = iframe.offsetWidth || 1, h = iframe.offsetHeight || 1;
    var scale = Math.min(stage.clientWidth / w, stage.clientHeight / h, 1);
    wrapper.style.transform = "scale(" + scale + ")";
    wrapper.style.left = Math.max(0, (stage.clientWidth - w * scale) / 2) + "px";
  }

  function meta() { return replayer.getMetaData(); }
  function now() { return replayer ? meta().startTime + replayer.getCurrentTime() : 0; }

  function setPlaying(value) {
    playing = value;
    $("rp-play").textContent = value ? "Pause" : (api.finished ? "Replay" : "Play");
  }

  function loadWindow(id, atAbsolute) {
    if (replayer) { replayer.pause(); replayer.destroy(); replayer = null; }
    var stage = $("rp-stage");
    stage.textContent = "";
    current = data.windows.filter(function (w) { return w.id === id; })[0];
    api.finished = false;
    replayer = new rrweb.Replayer(windowsEvents[id], {
      root: stage, skipInactive: $("rp-skip").checked, speed: Number($("rp-speed").value),
      showWarning: true, triggerFocus: false, mouseTail: false, UNSAFE_replayCanvas: false,
      logger: logger,
    });
    replayer.on("resize", function () { setTimeout(scaleStage, 0); });
    replayer.on("finish", function () { api.finished = true; setPlaying(false); tick(); });
    var m = meta();
    $("rp-seek").max = String(m.totalTime);
    renderMarkers();
    renderPanel();
    var offset = atAbsolute ? Math.min(Math.max(0, atAbsolute - m.startTime), m.totalTime) : 0;
    replayer.pause(offset);
    scaleStage();
    setPlaying(false);
    tick();
  }

  function play() {
    if (!replayer) return;
    var t = replayer.getCurrentTime();
    if (api.finished || t >= meta().totalTime) { t = 0; api.finished = false; }
    replayer.play(t);
    setPlaying(true);
  }
  function pause() { if (replayer) { replayer.pause(); setPlaying(false); tick(); } }
  function seek(offset) {
    if (!replayer) return;
    offset = Math.min(Math.max(0, offset), meta().totalTime);
    api.finished = false;
    if (playing) replayer.play(offset); else replayer.pause(offset);
    setPlaying(playing);
    tick();
  }
  function seekAbsolute(ts) { seek(ts - meta().startTime); }

  // ---- timeline markers -----------------------------------------------------------------
  function inWindow(item) { return !current || !item.window || item.window === current.id; }
  function renderMarkers() {
    var box = $("rp-markers"), m = meta();
    box.textContent = "";
    var marks = [];
    data.clicks.filter(inWindow).forEach(function (c) {
      var kind = c.rage ? "rage" : c.error ? "error" : c.dead ? "dead" : "click";
      var label = kind + " " + (c.interaction || "click") + (c.target ? " on " + c.target : "");
      marks.push([c.ts, kind, label]);
    });
    data.console.filter(inWindow).forEach(function (c) {
      if (c.level === "error") marks.push([c.ts, "error", "console error: " + c.message]);
    });
    marks.forEach(function (mk) {
      var pos = m.totalTime ? (mk[0] - m.startTime) / m.totalTime : 0;
      if (pos < 0 || pos > 1) return;
      var i = el("i", "m-" + mk[1]);
      i.style.left = (pos * 100).toFixed(3) + "%";
      i.title = fmt(mk[0] - m.startTime) + " " + mk[2];
      i.addEventListener("click", function () { seekAbsolute(mk[0]); });
      box.appendChild(i);
    });
  }

  // ---- panels ---------------------------------------------------------------------------
  var tabs = {
    console: { label: "Console", items: function () { return data.console; },
      cls: function (c) { return c.level; },
      text: function (c) { return "[" + c.level + "] " + c.message; } },
    network: { label: "Network", items: function () { return data.network; },
      cls: function (n) { return n.status >= 400 || n.status === 0 ? "bad" : ""; },
      text: function (n) {
        return [n.method || n.initiator_type || "GET", n.status === null ? "" : n.status, n.url,
          n.duration_ms === null ? "" : Math.round(n.duration_ms) + " ms"].join(" ");
      } },
    clicks: { label: "Clicks", items: function () { return data.clicks; },
      cls: function (c) { return c.rage || c.error ? "error" : c.dead ? "warn" : ""; },
      text: function (c) {
        var flags = [c.rage && "rage", c.dead && "dead", c.error && "error"].filter(Boolean);
        return (c.interaction || "click") + " " + (c.target || "") +
          (c.text ? " “" + c.text + "”" : "") + (flags.length ? " [" + flags.join(", ") + "]" : "");
      } },
    assets: { label: "Missing assets", items: function () { return data.assets.missing; },
      untimed: true, cls: function () { return "warn"; },
      text: function (a) { return a.url + " — " + a.reason; } },
  };
  function renderTabs() {
    var nav = $("rp-tabs");
    Object.keys(tabs).forEach(function (key) {
      var tab = tabs[key];
      var b = el("button", key === activeTab ? "active" : "",
        tab.label + " (" + tab.items().length + ")");
      b.type = "button";
      b.dataset.tab = key;
      b.addEventListener("click", function () {
        activeTab = key;
        Array.prototype.forEach.call(nav.children, function (x) {
          x.classList.toggle("active", x.dataset.tab === key);
        });
        renderPanel();
      });
      nav.appendChild(b);
    });
  }
  function renderPanel() {
    var body = $("rp-panel-body"), tab = tabs[activeTab];
    body.textContent = "";
    rows = [];
    var items = tab.untimed ? tab.items() : tab.items().filter(inWindow);
    if (!items.length) {
      body.appendChild(el("div", "rp-empty", tab.untimed ? "Every asset was inlined or none was needed."
        : "Nothing recorded in this window."));
      return;
    }
    var start = replayer ? meta().startTime : 0;
    items.forEach(function (item) {
      var row = el("div", "rp-row " + (tab.cls(item) || ""));
      row.appendChild(el("span", "t", tab.untimed ? "" : fmt(item.ts - start)));
      row.appendChild(el("span", "msg", tab.text(item)));
      if (!tab.untimed) {
        row.addEventListener("click", function () { seekAbsolute(item.ts); });
        rows.push([item.ts, row]);
      }
      body.appendChild(row);
    });
    follow(true);
  }
  var lastCurrent = null;
  function follow(force) {
    if (!replayer || !rows.length) return;
    var t = now(), latest = null;
    rows.forEach(function (r) {
      var future = r[0] > t;
      r[1].classList.toggle("future", future);
      if (!future) latest = r[1];
    });
    if (latest !== lastCurrent || force) {
      if (lastCurrent) lastCurrent.classList.remove("current");
      if (latest) {
        latest.classList.add("current");
        if (playing || force) latest.scrollIntoView({ block: "nearest" });
      }
      lastCurrent = latest;
    }
  }

  // ---- clock ----------------------------------------------------------------------------
  function tick() {
    if (!replayer) return;
    var m = meta(), t = Math.min(replayer.getCurrentTime(), m.totalTime);
    if (api.finished) t = m.totalTime;
    $("rp-seek").value = String(t);
    $("rp-time").textContent = fmt(t) + " / " + fmt(m.totalTime);
    follow(false);
  }
  function loop() { if (playing) tick(); requestAnimationFrame(loop); }

  function wireControls() {
    $("rp-play").addEventListener("click", function () { playing ? pause() : play(); });
    $("rp-seek").addEventListener("input", function (e) { seek(Number(e.target.value)); });
    $("rp-speed").addEventListener("change", function (e) {
      if (replayer) replayer.setConfig({ speed: Number(e.target.value) });
    });
    $("rp-skip").addEventListener("change", function (e) {
      if (replayer) replayer.setConfig({ skipInactive: e.target.checked });
    });
    $("rp-window").addEventListener("change", function (e) { loadWindow(e.target.value, now()); });
    document.addEventListener("keydown", function (e) {
      if (e.code === "Space" && e.target === document.body) {
        e.preventDefault(); playing ? pause() : play();
      }
    });
    window.addEventListener("resize", scaleStage);
  }

  function start() {
    renderHeader();
    renderTabs();
    wireControls();
    var playable = data.windows.filter(function (w) { return w.playable; });
    var select = $("rp-window");
    playable.forEach(function (w, i) {
      var o = el("option", "", (i === 0 ? "main" : "window " + (i + 1)) + " · " + w.events + " events");
      o.value = w.id;
      select.appendChild(o);
    });
    $("rp-window-label").hidden = playable.length < 2;
    return decodeEvents(data.events).then(function (events) {
      windowsEvents = events;
      if (!playable.length) { status("This recording has no full snapshot: nothing to replay."); return; }
      loadWindow(playable[0].id);
      requestAnimationFrame(loop);
    });
  }

  window.addEventListener("error", function (e) { api.errors.push("page: " + e.message); });
  api.play = play;
  api.pause = pause;
  api.seek = seek;
  api.setSpeed = function (speed) {
    $("rp-speed").value = String(speed);
    if (replayer) replayer.setConfig({ speed: speed });
  };
  api.selectWindow = function (id) { $("rp-window").value = id; loadWindow(id, now()); };
  api.state = function () {
    return { time: replayer ? replayer.getCurrentTime() : 0, total: replayer ? meta().totalTime : 0,
      playing: playing, finished: api.finished, window: current && current.id };
  };
  api.replayer = function () { return replayer; };
  api.ready = start().then(function () { return true; }, function (err) {
    api.errors.push("player: " + (err && err.message || err));
    status("The replay could not be started: " + (err && err.message || err));
    return false;
  });
})();
