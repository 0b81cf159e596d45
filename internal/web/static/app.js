// Counts down resend buttons: data-wait is the seconds until a new code may be
// requested. Everything works without this script; it only makes waiting visible.
(function () {
  function fmt(s) { var m = Math.floor(s / 60), r = s % 60; return m + ":" + (r < 10 ? "0" : "") + r; }
  document.querySelectorAll("button[data-wait]").forEach(function (b) {
    var left = parseInt(b.getAttribute("data-wait"), 10) || 0;
    var label = b.getAttribute("data-label") || b.textContent;
    // data-label-wait is the page's own words for the wait, with {t} for the time.
    var waiting = b.getAttribute("data-label-wait") || (label + " ({t})");
    if (left <= 0) return;
    b.disabled = true;
    var tick = function () {
      if (left <= 0) { b.disabled = false; b.textContent = label; return; }
      b.textContent = waiting.replace("{t}", fmt(left));
      left--; setTimeout(tick, 1000);
    };
    tick();
  });
})();

// After a form error the summary at the top lists every problem; put the
// cursor in the first field at fault (without this script the summary's links
// lead there).
(function () {
  if (!document.querySelector(".error-summary")) return;
  var bad = document.querySelector("[aria-invalid=true]");
  if (bad) bad.focus();
})();

// While wrong codes pause signing in, the page says until when and its forms
// are disabled; once the time has passed, load the page again so they work.
(function () {
  // The server says how many seconds are left, so a browser clock that is
  // wrong never makes the page reload over and over.
  var lock = document.querySelector("[data-locked-for]");
  if (!lock) return;
  var left = parseInt(lock.getAttribute("data-locked-for"), 10) || 0;
  setTimeout(function () { location.reload(); }, (Math.max(left, 1) + 1) * 1000);
})();

// Tools that need a script (Copy, Download, Print) stay hidden without one:
// the text they work on is on the page, selectable, either way.
(function () {
  document.querySelectorAll("[data-js-only]").forEach(function (e) { e.hidden = false; });
})();

// Copy: data-copy names the element whose text (or data-copy-text) is copied;
// the button says data-copied for a moment, and a status line tells screen readers.
(function () {
  function textOf(el) {
    if (el.hasAttribute("data-copy-text")) return el.getAttribute("data-copy-text");
    var items = el.querySelectorAll("li");
    if (items.length) return Array.prototype.map.call(items, function (li) { return li.textContent.trim(); }).join("\n");
    return el.textContent.trim();
  }
  function fallback(text) {
    var t = document.createElement("textarea");
    t.value = text; t.setAttribute("readonly", ""); t.style.position = "fixed"; t.style.opacity = "0";
    document.body.appendChild(t); t.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable on the page */ }
    document.body.removeChild(t);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var label = b.textContent;
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el) return;
      var text = textOf(el), done = function () {
        b.textContent = b.getAttribute("data-copied") || label;
        var status = b.parentNode.querySelector("[data-copy-status]");
        if (status) status.textContent = b.textContent;
        setTimeout(function () { b.textContent = label; if (status) status.textContent = ""; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else { fallback(text); done(); }
    });
  });
})();

// Download: the codes as a .txt file made in the browser (the server keeps
// only their hashes, so it could not send them again).
(function () {
  document.querySelectorAll("button[data-download]").forEach(function (b) {
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-download"));
      if (!el) return;
      var codes = Array.prototype.map.call(el.querySelectorAll("li"), function (li) { return li.textContent.trim(); });
      var text = (b.getAttribute("data-title") || "") + "\n\n" + codes.join("\n") + "\n";
      var url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
      var a = document.createElement("a");
      a.href = url; a.download = b.getAttribute("data-filename") || "recovery-codes.txt";
      document.body.appendChild(a); a.click(); document.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    });
  });
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();

// Show password: a toggle button beside every password field. Its words come
// from the page (data-show on this script's tag); without a script the field
// is a plain password field.
(function () {
  var me = document.querySelector("script[data-show]");
  if (!me) return;
  var word = me.getAttribute("data-show"), name = me.getAttribute("data-show-label") || word;
  document.querySelectorAll("input[type=password]").forEach(function (input, i) {
    if (input.hidden || input.type === "hidden") return;
    if (!input.id) input.id = "password-field-" + i;
    var focused = document.activeElement === input; // moving a field takes its focus away
    var wrap = document.createElement("div");
    wrap.className = "password-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    if (focused) input.focus();
    var b = document.createElement("button");
    b.type = "button"; b.className = "secondary small show-password";
    b.textContent = word;
    b.setAttribute("aria-label", name);
    b.setAttribute("aria-pressed", "false");
    b.setAttribute("aria-controls", input.id);
    b.addEventListener("click", function () {
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      b.setAttribute("aria-pressed", show ? "true" : "false");
    });
    wrap.appendChild(b);
  });
  // A form sends its passwords hidden again, so a browser never stores them as plain text.
  document.querySelectorAll("form").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll(".password-wrap input").forEach(function (input) { input.type = "password"; });
    });
  });
})();
