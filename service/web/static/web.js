/* Progressive enhancement of the dossier forms (the pages work without it).
 *
 * Repeating tables: "添加一行" clones the table's <template> row and gives it the
 * next index; "删除此行" removes a row and renumbers the rest, so the inputs stay
 * named contacts[0].name, contacts[1].name … Nested tables (a meeting's
 * participants) are renamed with their row. Without JavaScript the server offers
 * blank rows instead; they are removed here while still blank.
 */
(function () {
  "use strict";
  var ATTRS = ["name", "id", "for", "list", "aria-describedby", "data-name"];
  var ID_PREFIXES = ["f-", "e-", "h-", "l-", "t-", "g-"];

  function renameToken(token, from, to) {
    for (var i = 0; i < ID_PREFIXES.length; i++) {
      var p = ID_PREFIXES[i];
      if (token.indexOf(p + from) === 0) return p + to + token.slice(p.length + from.length);
    }
    return token.indexOf(from) === 0 ? to + token.slice(from.length) : token;
  }

  /* Rename every name/id/for… that starts with `from` (e.g. "contacts[3]") to `to`. */
  function rename(root, from, to) {
    var nodes = [root].concat(Array.prototype.slice.call(root.querySelectorAll("*")));
    nodes.forEach(function (el) {
      if (!el.getAttribute) return;
      ATTRS.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (!value) return;
        var renamed = value.split(" ").map(function (t) { return renameToken(t, from, to); }).join(" ");
        if (renamed !== value) el.setAttribute(attr, renamed);
      });
      if (el.tagName === "TEMPLATE") rename(el.content, from, to);
    });
  }

  function rowsOf(table) {
    var box = table.querySelector(":scope > [data-rows]");
    return Array.prototype.filter.call(box.children, function (el) { return el.hasAttribute("data-row"); });
  }

  function legendFor(table, index) {
    return (table.getAttribute("data-legend") || "第 {n} 行").replace("{n}", String(index + 1));
  }

  function renumber(table) {
    var name = table.getAttribute("data-name");
    rowsOf(table).forEach(function (row, i) {
      var old = row.getAttribute("data-index");
      if (old !== String(i)) {
        rename(row, name + "[" + old + "]", name + "[" + i + "]");
        row.setAttribute("data-index", String(i));
      }
      var legend = row.querySelector(":scope > [data-row-legend]");
      if (legend) legend.textContent = legendFor(table, i);
    });
    var empty = table.querySelector(":scope > [data-empty]");
    if (empty) empty.hidden = rowsOf(table).length > 0;
  }

  function isBlank(row) {
    return Array.prototype.every.call(row.querySelectorAll("input, textarea, select"), function (el) {
      if (el.type === "hidden" || el.readOnly) return true;
      if (el.type === "radio") return !el.checked || el.value === "";
      if (el.type === "checkbox") return !el.checked;
      return !el.value.trim();
    });
  }

  function addRow(table) {
    var template = table.querySelector(":scope > template[data-row-template]");
    var fragment = template.content.cloneNode(true);
    var row = fragment.querySelector("[data-row]");
    var name = table.getAttribute("data-name");
    var index = rowsOf(table).length;
    rename(row, name + "[__N__]", name + "[" + index + "]");
    row.setAttribute("data-index", String(index));
    table.querySelector(":scope > [data-rows]").appendChild(row);
    enhance(row);
    renumber(table);
    var first = row.querySelector("input:not([type=hidden]):not([readonly]), textarea, select");
    if (first) first.focus();
    return row;
  }

  function enhanceTable(table) {
    if (table.hasAttribute("data-enhanced")) return;
    table.setAttribute("data-enhanced", "");
    rowsOf(table).forEach(function (row) {
      if (row.hasAttribute("data-padding") && isBlank(row)) row.remove();
    });
    var add = table.querySelector(":scope > [data-add-row]");
    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () { addRow(table); });
    }
    renumber(table);
  }

  function enhance(root) {
    root.querySelectorAll("[data-remove-row]").forEach(function (button) {
      if (button.hasAttribute("data-enhanced")) return;
      button.setAttribute("data-enhanced", "");
      button.hidden = false;
      button.addEventListener("click", function () {
        var row = button.closest("[data-row]");
        var table = row.parentElement.closest("[data-table]");
        if (!isBlank(row) && !window.confirm("删除这一行及其中已填写的内容？")) return;
        row.remove();
        renumber(table);
      });
    });
    root.querySelectorAll("[data-table]").forEach(enhanceTable);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
    document.querySelectorAll("[data-back]").forEach(function (a) {
      a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
    });
  });
})();
