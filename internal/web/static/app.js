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
  var lock = document.querySelector("[data-locked-until]");
  if (!lock) return;
  var wait = parseInt(lock.getAttribute("data-locked-until"), 10) - Date.now();
  setTimeout(function () { location.reload(); }, Math.max(wait, 0) + 1000);
})();
