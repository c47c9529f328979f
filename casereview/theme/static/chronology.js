/* casereview: filter, search and sort a chronology in the page, offline.

   Each chronology is a [data-chronology] box holding a form of [data-chronology-filter]
   controls and a table whose rows carry data-agency (the agency's code), data-date and
   data-date-end (ISO days), data-kind, data-significance and data-joint. A row filtered out
   gets the hidden attribute. The filter lives in the page's address (?agency=POL&from=
   2015-03-01&to=2015-06-30&kind=allegation&q=strategy), so a view can be shared and
   bookmarked. Nothing is fetched and no text from the records is ever written as markup.
   Without JavaScript the form stays hidden and the whole table reads as it is. */
(function () {
  "use strict";

  var FILTERS = ["agency", "from", "to", "significance", "kind", "joint", "q", "sort"];

  function control(box, name) {
    if (name === "sort") return box.querySelector("[data-chronology-sort]");
    return box.querySelector('[data-chronology-filter="' + name + '"]');
  }

  function valueOf(input) {
    if (!input) return "";
    if (input.type === "checkbox") return input.checked ? "1" : "";
    return input.value.trim();
  }

  function setValue(input, value) {
    if (!input) return;
    if (input.type === "checkbox") input.checked = value === "1" || value === "true";
    else input.value = value;
  }

  function wanted(box) {
    var chosen = {};
    FILTERS.forEach(function (name) { chosen[name] = valueOf(control(box, name)); });
    chosen.q = chosen.q.toLowerCase();
    return chosen;
  }

  function shows(row, chosen) {
    var d = row.dataset;
    if (chosen.agency && d.agency !== chosen.agency) return false;
    // An event whose date is a span (May 2015) is shown if any day of it is in the range.
    if (chosen.from && d.dateEnd < chosen.from) return false;
    if (chosen.to && d.date > chosen.to) return false;
    if (chosen.significance && d.significance !== chosen.significance) return false;
    if (chosen.kind && d.kind !== chosen.kind) return false;
    if (chosen.joint && d.joint !== "true") return false;
    if (chosen.q && text(row).indexOf(chosen.q) < 0) return false;
    return true;
  }

  var texts = new WeakMap();  // each row's words, read once: the records do not change

  function text(row) {
    if (!texts.has(row)) texts.set(row, row.textContent.toLowerCase());
    return texts.get(row);
  }

  function apply(box) {
    var chosen = wanted(box);
    var body = box.querySelector("table.chronology tbody");
    var events = Array.prototype.slice.call(body.querySelectorAll("tr.event"));
    var gaps = body.querySelectorAll("tr.gap");
    var narrowed = FILTERS.some(function (n) { return n !== "sort" && chosen[n]; });
    var shown = 0;
    events.forEach(function (row) {
      var keep = shows(row, chosen);
      if (row.hidden === keep) row.hidden = !keep;  // only rows that change are touched
      if (keep) shown += 1;
    });
    // "No agency contact" rows say something only about the whole chronology.
    Array.prototype.forEach.call(gaps, function (row) {
      var hide = narrowed || chosen.sort === "agency";
      if (row.hidden !== hide) row.hidden = hide;
    });
    order(body, events, chosen.sort);
    var count = box.querySelector("[data-chronology-count]");
    if (count) {
      count.textContent = shown === events.length ? "Showing all " + shown + " events."
        : "Showing " + shown + " of " + events.length + " events.";
    }
  }

  function order(body, events, sort) {
    if (!body.dataset.original) {
      Array.prototype.forEach.call(body.rows, function (row, i) { row.dataset.place = i; });
      body.dataset.original = "1";
      body.dataset.sorted = "date";
    }
    if (body.dataset.sorted === (sort || "date")) return;  // already in that order
    body.dataset.sorted = sort || "date";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      if (sort === "agency" && a.dataset.agency !== b.dataset.agency) {
        return (a.dataset.agency || "") < (b.dataset.agency || "") ? -1 : 1;
      }
      return a.dataset.place - b.dataset.place;  // the chronology's own order
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function toAddress(box) {
    var chosen = wanted(box);
    var params = new URLSearchParams(window.location.search);
    FILTERS.forEach(function (name) {
      var value = valueOf(control(box, name));
      if (value && !(name === "sort" && value === "date")) params.set(name, value);
      else params.delete(name);
    });
    var query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") +
                         window.location.hash);
    return chosen;
  }

  function start(box) {
    var form = box.querySelector("[data-chronology-filters]");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    FILTERS.forEach(function (name) {
      if (params.has(name)) setValue(control(box, name), params.get(name));
    });
    form.hidden = false;
    form.addEventListener("input", function () { toAddress(box); apply(box); });
    form.addEventListener("change", function () { toAddress(box); apply(box); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () {
      // After the form has put its controls back to their defaults.
      window.setTimeout(function () { toAddress(box); apply(box); }, 0);
    });
    apply(box);
  }

  function startAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chronology]"), start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
  window.casereviewChronology = {apply: apply};  // for a board's own scripts, and the benchmark
})();
