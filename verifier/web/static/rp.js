// Polls the application's status and shows the verified claims. Values are inserted with textContent only.
(function () {
  "use strict";
  var ask = document.getElementById("ask");
  var id = ask.getAttribute("data-transaction");
  function cell(tag, text) { var el = document.createElement(tag); el.textContent = text; return el; }
  function show(state) {
    var verdict = document.getElementById("verdict");
    var docs = document.getElementById("documents");
    if (state.status === "answered" && state.accepted) {
      verdict.textContent = "본인 확인 완료 · Verified";
      verdict.className = "ok";
      state.documents.forEach(function (doc) {
        docs.appendChild(cell("h2", doc.title));
        var table = document.createElement("table");
        doc.rows.forEach(function (row) {
          var tr = document.createElement("tr");
          tr.appendChild(cell("th", row.label));
          tr.appendChild(cell("td", row.value));
          table.appendChild(tr);
        });
        docs.appendChild(table);
      });
    } else {
      verdict.textContent = state.status === "expired" ? "시간 초과 · The request expired"
        : state.status === "declined" ? "지갑에서 거절함 · The wallet declined"
        : "확인 실패 · Not verified (" + state.problems.join(", ") + ")";
      verdict.className = "refused";
    }
    ask.hidden = true;
    document.getElementById("done").hidden = false;
  }
  function poll() {
    fetch("/bank/" + encodeURIComponent(id) + "/status", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (state) { if (state.status === "pending") { setTimeout(poll, 1000); } else { show(state); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
