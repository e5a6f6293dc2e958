/* Click a column header to sort the table by it (again: the other way). Screen only, internal edition only:
   the public edition never lets a reader order schools against each other. Numbers sort by their value
   (data-v), text by its characters; dashes and withheld cells go last. */
(function () {
  if (document.body.getAttribute("data-edition") !== "internal") return;
  document.querySelectorAll("table.tqa-table").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 3) return;
    table.classList.add("sortable");
    var head = table.querySelector("thead tr.cols");
    if (!head) return;
    Array.prototype.forEach.call(head.cells, function (th, col) {
      th.setAttribute("title", "点击按此列排序");
      th.addEventListener("click", function () {
        var down = th.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(head.cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var cell = row.cells[col];
          if (!cell) return null;
          var v = cell.getAttribute("data-v");
          if (v !== null) return parseFloat(v);
          var t = cell.textContent.trim();
          return t === "" || t === "—" ? null : t;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === null) return y === null ? 0 : 1;
          if (y === null) return -1;
          var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh");
          return down ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
