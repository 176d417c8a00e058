// The page's keys (the ? dialog lists them, from templating.KEYS). None fires while the user
// types in a field, or with Ctrl, Alt or Meta held (the browser's and the system's own keys).
// "Visible tests" are the rows the page shows: a closed group's rows are not walked.
"use strict";

const NAMES = "#tree li.t > a.name";
const TYPING = "input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]";
let afterTree = null; // what to do once the tree a key asked for has arrived

function visibleNames() {
  return [...document.querySelectorAll(NAMES)].filter((a) => a.checkVisibility());
}

// The row the keys start from: the focused one, else the open test's.
function currentName(names) {
  const focused = document.activeElement?.closest?.("li.t")?.querySelector(":scope > a.name");
  if (focused) return focused;
  const open = document.getElementById("detail")?.dataset.nodeid;
  return open ? names.find((a) => a.title === open) || null : null;
}

function isFailure(name) {
  return !!name.parentElement.querySelector(":scope > .st.f-failed");
}

function go(name, open) {
  if (!name) return;
  name.focus();
  name.scrollIntoView({ block: "nearest" });
  if (open) name.click();
}

function move(step) {
  const names = visibleNames();
  const current = currentName(names);
  const index = current ? names.indexOf(current) : -1;
  go(index < 0 ? names[step > 0 ? 0 : names.length - 1] : names[index + step], false);
}

// n / p: the next or previous failure among the visible rows, wrapping around; with none in
// view but some in the run, the Failed filter first (it opens the groups that hold them).
function failure(step) {
  const names = visibleNames();
  const failures = names.filter(isFailure);
  if (!failures.length) {
    const count = Number(document.getElementById("n-failed")?.textContent || 0);
    const chip = document.getElementById("show-failed");
    if (count && chip && !chip.checked) {
      afterTree = () => go(visibleNames().find(isFailure), true);
      chip.click();
    }
    return;
  }
  const current = currentName(names);
  const at = current ? names.indexOf(current) : -1;
  const ahead = step > 0 ? failures.filter((a) => names.indexOf(a) > at)
    : failures.filter((a) => names.indexOf(a) < at).reverse();
  go(ahead[0] || (step > 0 ? failures[0] : failures[failures.length - 1]), true);
}

function toggleFailures() {
  const failed = document.getElementById("show-failed");
  (failed?.checked ? document.getElementById("show-all") : failed)?.click();
}

// r: the focused row's ▶, the focused group's, else the open test's.
function runFocused() {
  const focus = document.activeElement;
  const row = focus?.closest?.("li.t");
  if (row) return row.querySelector(":scope > button.go")?.click();
  const summary = focus?.closest?.("details.g > summary");
  if (summary) return summary.parentElement.parentElement.querySelector(":scope > .run-group")?.click();
  document.querySelector("#detail .run-test")?.click();
}

function showKeys() {
  const dialog = document.getElementById("keys");
  if (dialog && !dialog.open) dialog.showModal();
}

const ACTIONS = {
  j: () => move(1),
  k: () => move(-1),
  ArrowDown: () => move(1),
  ArrowUp: () => move(-1),
  n: () => failure(1),
  p: () => failure(-1),
  "/": () => document.getElementById("search")?.focus(),
  f: toggleFailures,
  r: runFocused,
  R: () => document.getElementById("run-failed")?.click(),
  w: () => document.getElementById("watch-toggle")?.click(),
  "?": showKeys,
  Escape: () => document.querySelector("#detail:not(.idle) .close")?.click(),
};

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.closest?.(TYPING)) {
    if (event.key === "Escape" && target.id === "search") target.blur();
    return;
  }
  if (document.querySelector("dialog[open]")) return; // the dialog's own keys (Esc closes it)
  const arrows = event.key === "ArrowDown" || event.key === "ArrowUp";
  if (arrows && target !== document.body && !target.closest("#tree")) return; // scroll as usual
  const action = ACTIONS[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

document.addEventListener("click", (event) => {
  if (event.target.closest("#keys-button")) showKeys();
  else if (event.target.closest("#keys .close-keys")) document.getElementById("keys").close();
});

document.addEventListener("htmx:after:swap", (event) => {
  if (afterTree && event.detail?.ctx?.target?.id === "tree") {
    const then = afterTree;
    afterTree = null;
    requestAnimationFrame(then);
  }
});
