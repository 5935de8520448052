// The offer page's countdown (an external script: the console's CSP allows no inline code).
(function () {
  var el = document.getElementById("countdown");
  if (!el) { return; }
  var until = Date.parse(el.getAttribute("data-until"));
  function show() {
    var left = Math.max(0, Math.round((until - Date.now()) / 1000));
    el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left > 0) { setTimeout(show, 1000); }
  }
  show();
})();
