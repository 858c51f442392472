/**
 * The report page's only style sheet and script, inlined into the HTML: the file must open anywhere, offline,
 * with nothing fetched.
 */

import { COLORS } from "./palette";

/**
 * The page's CSS. Highlight badges take the charts' failure/timeout colours from the palette. Each chart's SVG
 * is drawn at the full content width (its viewBox keeps the proportions; svg-charts.ts sizes the viewBox to the
 * widest content box, so text is at its own size there); below 900 px it stops shrinking and its figure scrolls
 * sideways instead, so that its text stays readable (11 px at most 0.7 times smaller).
 */
export const PAGE_CSS = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --failing: #fbe3e1; --slow: #fdf0d5; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1320px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 0 0 6px; } h3 { font-size: 14px; margin: 14px 0 4px; color: var(--muted); font-weight: 600; }
.meta, .note { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 180px; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; } th[aria-sort="descending"] button::after { content: " \\25BC"; }
tr.slow td { background: var(--slow); } tr.failing td { background: var(--failing); }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 6px; border-radius: 9px; margin-left: 6px; vertical-align: middle; }
.badge.failing { background: ${COLORS.failure}; color: #fff; } .badge.slow { background: ${COLORS.timeout}; color: #fff; }
section.skill { border-top: 2px solid var(--line); margin-top: 28px; padding-top: 16px; }
dl.stats { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 6px 0; } dl.stats div { display: flex; gap: 6px; } dt { color: var(--muted); } dd { margin: 0; font-weight: 600; }
figure { margin: 6px 0 10px; overflow-x: auto; } figure svg { width: 100%; min-width: 900px; height: auto; display: block; }
#definitions li { margin: 4px 0; } code { font-size: 12px; }
`;

/**
 * Click-to-sort for every `table.sortable`: a header's button sorts by that column, ascending first, then
 * toggling. Cells sort by their `data-value` (numbers when the header says `data-type="number"`); empty values
 * (no data) always sort last. The sort is stable, so ties keep the previous order.
 */
export const SORT_SCRIPT = `
document.querySelectorAll("table.sortable").forEach(function (table) {
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, column) {
    th.querySelector("button").addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.dataset.type === "number";
      var key = function (row) { var cell = row.cells[column]; var v = cell.dataset.value; return v === undefined ? cell.textContent : v; };
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === "" || y === "") return (x === "") - (y === "");
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
`;
