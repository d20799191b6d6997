// Jejak: small enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "select all" boxes: <input type=checkbox data-select-all="name">
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]').forEach(function (b) {
        b.checked = all.checked;
      });
    });
  });
  // confirm before an action: <button data-confirm="text">
  document.querySelectorAll("[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (e) {
      if (!window.confirm(b.dataset.confirm)) { e.preventDefault(); }
    });
  });
  // show a reason field when "reject" is chosen: <input data-shows="id">
  document.querySelectorAll("[data-shows]").forEach(function (el) {
    var target = document.getElementById(el.dataset.shows);
    if (!target) { return; }
    var sync = function () { target.hidden = !el.checked; };
    document.querySelectorAll('input[name="' + el.name + '"]').forEach(function (o) { o.addEventListener("change", sync); });
    sync();
  });
});
