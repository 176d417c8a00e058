// pytest-web's own script: what htmx attributes would cost on every row of a big tree, and what
// must outlive the tree's re-renders. One listener per kind of event, for the whole page:
// - a click on a link to a test's detail (`/detail?...`) fetches it into the detail pane
//   (without script, the link opens the whole page with that detail);
// - ticked tests are kept here, not in the rows: a filter, a search or a live refresh renders
//   the rows again (ticked again as they come back), and tests that a filter hides stay
//   ticked; hidden inputs in the run form carry them to "Run selected";
// - so are the chosen status filter, search and order: the stream replaces the whole view when
//   a run starts or its tests arrive, and the tab asks again for the tree it was showing;
// - the address holds the view (`/runs/<id>?test=&show=&q=&sort=`, see url_state.py): it is
//   written as the view changes (a new entry for what the user chose, the same entry for what
//   the live run changed) and back and forward restore it (htmx's own history is off);
// - Copy buttons (`data-copy`), the theme toggle (a cookie the server reads) and the settings;
// - on a row's name, Space ticks the row (its checkbox is not a tab stop of its own: one tab
//   stop per row). The other keys are static/keys.js's;
// - the output pane holds a bounded number of pieces, the oldest let go.
"use strict";

const DETAIL = /^\/detail\?/;
const ROW_BOX = "li.t > input[type=checkbox]";
const THEMES = { "": ["Auto", "light"], light: ["Light", "dark"], dark: ["Dark", ""] };
const picked = new Set();
const view = { show: "all", q: "", sort: "" };
let pushNext = false; // the next swap into the detail pane is the user's: a new history entry
let restoring = false; // the page itself sets the filters: no new history entry

function readView() {
  const form = document.getElementById("view-form");
  if (!form) return;
  view.show = form.elements.show.value || "all";
  view.q = form.elements.q.value;
  view.sort = form.elements.sort ? form.elements.sort.value : "";
}

// The address of what the page shows: the run (the live page for a discovery), the open test,
// the filter, the search and the order.
function address() {
  const section = document.getElementById("run-view");
  const run = section ? section.dataset.run : "";
  const path = run && run !== "collected" ? `/runs/${encodeURIComponent(run)}` : "/";
  const args = new URLSearchParams();
  const test = document.getElementById("detail")?.dataset.nodeid;
  if (test) args.set("test", test);
  if (view.q) args.set("q", view.q);
  if (view.show !== "all") args.set("show", view.show);
  if (view.sort) args.set("sort", view.sort);
  const query = args.toString();
  return query ? `${path}?${query}` : path;
}

function record(push, url = address()) {
  if (!document.getElementById("main")) return; // the runs and results pages keep theirs
  if (url === location.pathname + location.search) return;
  if (push) history.pushState({ view: true }, "", url);
  else history.replaceState({ view: true }, "", url);
}

function detailUrl(test) {
  const run = document.getElementById("run-view")?.dataset.run;
  if (!test || !run) return "/detail";
  return `/detail?run=${encodeURIComponent(run)}&nodeid=${encodeURIComponent(test)}`;
}

// Detail requests come from one element that syncs them: the latest one replaces any still in
// flight (keys and clicks can ask faster than the server answers; htmx keeps the first).
const loader = Object.assign(document.createElement("i"), { hidden: true });
loader.setAttribute("hx-sync", "this:replace");
document.body.append(loader);

function loadDetail(href) {
  htmx.ajax("GET", href, { source: loader, target: "#detail", swap: "outerHTML" });
}

function openDetail(href) {
  pushNext = true;
  loadDetail(href);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const href = link.getAttribute("href");
  if (!DETAIL.test(href)) return;
  event.preventDefault();
  openDetail(href);
});

// Whatever else the user opens into the detail pane (the failures, the slowest, what changed,
// Close) is a new history entry too.
document.addEventListener("click", (event) => {
  if (event.target.closest("[hx-target='#detail']")) pushNext = true;
});

document.addEventListener("change", (event) => {
  if (!restoring && event.target.matches("#view-form input, #view-form select")) {
    readView();
    record(true);
  }
});

document.addEventListener("input", (event) => {
  if (event.target.id === "search") {
    view.q = event.target.value;
    record(false);
  }
});

document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches(ROW_BOX)) return;
  if (box.checked) picked.add(box.value);
  else picked.delete(box.value);
  const form = document.getElementById("run-form");
  if (!form) return;
  form.querySelectorAll("input[name=nodeid]").forEach((input) => input.remove());
  for (const nodeid of picked) {
    const input = document.createElement("input");
    Object.assign(input, { type: "hidden", name: "nodeid", value: nodeid });
    form.append(input);
  }
});

// The tree the tab was showing, asked for again after the view was rendered without it.
function restoreTree() {
  const tree = document.getElementById("tree");
  const form = document.getElementById("view-form");
  if (!tree || !form) return;
  if (tree.dataset.show === view.show && form.elements.q.value === view.q
      && (tree.dataset.sort || "") === view.sort) return;
  const chip = document.getElementById(`show-${view.show}`);
  if (!chip) return;
  chip.checked = true;
  form.elements.q.value = view.q;
  if (form.elements.sort) form.elements.sort.value = view.sort;
  restoring = true;
  try {
    chip.dispatchEvent(new Event("change", { bubbles: true })); // the form asks for the tree
  } finally {
    restoring = false;
  }
}

// The output pane keeps its last OUTPUT_NODES pieces: a verbose 100,000-test run prints a line
// per test, and the page must not hold them all (a reload shows the tail the server keeps).
const OUTPUT_NODES = 3000;
function trimOutput() {
  const pre = document.getElementById("output");
  if (!pre || pre.childNodes.length <= OUTPUT_NODES * 1.5) return;
  const range = document.createRange();
  range.setStartBefore(pre.firstChild);
  range.setEndBefore(pre.childNodes[pre.childNodes.length - OUTPUT_NODES]);
  range.deleteContents();
  pre.prepend("[earlier output not kept in this page: reload for the run's last 2 MB]\n");
}

document.addEventListener("htmx:after:swap", (event) => {
  trimOutput();
  restoreTree();
  const intoDetail = event.detail?.ctx?.target?.id === "detail";
  record(pushNext && intoDetail);
  if (intoDetail) pushNext = false;
  if (!picked.size) return;
  document.querySelectorAll(ROW_BOX).forEach((box) => {
    if (picked.has(box.value)) box.checked = true;
  });
});

// Back and forward: the same run shows the entry's test, filter, search and order in place;
// another run's entry loads that run's page (the live page stays on the live run).
window.addEventListener("popstate", () => {
  if (!document.getElementById("main")) return;
  const url = new URL(location.href);
  const here = new URL(address(), location.href);
  if (url.pathname !== here.pathname && !document.getElementById("live")) {
    location.reload();
    return;
  }
  const args = url.searchParams;
  view.show = args.get("show") || "all";
  view.q = args.get("q") || "";
  view.sort = args.get("sort") || "";
  restoreTree();
  const test = args.get("test") || "";
  if (test !== (document.getElementById("detail")?.dataset.nodeid || "")) {
    loadDetail(detailUrl(test));
  }
});

// Copy buttons: the text in `data-copy`, said done on the button for a moment.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const text = button.dataset.copy;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = Object.assign(document.createElement("textarea"), { value: text });
    document.body.append(area); // a page served over plain http to another machine
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  if (!button.dataset.label) button.dataset.label = button.textContent;
  button.textContent = "Copied ✓";
  setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
});

// The theme: Auto (the system's), Light, Dark; kept in a cookie that the server reads, so the
// next page starts in it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("#theme-toggle");
  if (!toggle) return;
  const next = THEMES[toggle.dataset.theme || ""][1];
  toggle.dataset.theme = next;
  if (next) document.documentElement.dataset.theme = next;
  else delete document.documentElement.dataset.theme;
  const age = next ? 400 * 24 * 3600 : 0;
  document.cookie = `pytest-web-theme=${next}; path=/; max-age=${age}; samesite=strict`;
  toggle.lastChild.textContent = THEMES[next][0];
  toggle.title = `Colour theme: ${THEMES[next][0]} (click for ${THEMES[THEMES[next][1]][0]})`;
});

// A new editor changes the detail's links: show the open test again.
document.addEventListener("htmx:after:swap", (event) => {
  if (event.detail?.ctx?.request?.action !== "/settings") return;
  const test = document.getElementById("detail")?.dataset.nodeid;
  if (test) loadDetail(detailUrl(test));
});

// The options' count, as they are ticked.
document.addEventListener("change", (event) => {
  const menu = event.target.closest("#options");
  if (!menu) return;
  const set = [...menu.querySelectorAll("input, select")].filter((field) =>
    field.type === "checkbox" ? field.checked : field.value.trim() !== "").length;
  const summary = menu.querySelector("summary");
  summary.textContent = "Options";
  if (set) {
    const count = Object.assign(document.createElement("b"), { className: "n", textContent: set });
    summary.append(" ", count);
  }
});

document.addEventListener("keydown", (event) => {
  const name = event.target.closest("li.t > a.name");
  if (!name || event.altKey || event.ctrlKey || event.metaKey || event.key !== " ") return;
  const box = name.parentElement.querySelector("input[type=checkbox]");
  if (box) {
    event.preventDefault();
    box.click();
  }
});

readView();
record(false);
