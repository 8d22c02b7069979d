// Tables that stack into labelled rows on a phone (site.css, below 40rem): each body cell
// gets its column's header as data-label, shown above the cell's value, and the table and
// its parts keep their roles, so a screen reader still reads them as a table when CSS
// displays them as blocks. Without JavaScript a table scrolls inside its own region.
(function () {
  "use strict";
  function headers(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    if (!rows.length) return null;
    var names = [];
    Array.prototype.forEach.call(rows[rows.length - 1].cells, function (cell) {
      var span = cell.colSpan || 1;
      // The header's first line: a note under it (a level's source, say) is not repeated.
      var text = (cell.innerText || cell.textContent).trim().split("\n")[0];
      for (var i = 0; i < span; i += 1) names.push(text.replace(/\s+/g, " ").trim());
    });
    return names;
  }
  function stack(table) {
    var names = headers(table);
    if (!names || table.hasAttribute("data-no-stack")) return;
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll("thead, tbody, tfoot"), function (group) {
      group.setAttribute("role", "rowgroup");
    });
    Array.prototype.forEach.call(table.rows, function (row) {
      row.setAttribute("role", "row");
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        var inHead = cell.parentNode.parentNode.tagName === "THEAD";
        if (inHead) {
          cell.setAttribute("role", "columnheader");
        } else {
          cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
          cell.setAttribute("data-label", names[column] || "");
        }
        column += cell.colSpan || 1;
      });
    });
    table.classList.add("stacks");
  }
  function all() {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), stack);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
