// pytest-web's own script: what htmx attributes would cost on every row of a big tree, and what
// must outlive the tree's re-renders. One listener per kind of event, for the whole page:
// - a click on a link to a test's detail (`/detail?...`) fetches it into the detail pane
//   (without script, the link opens the whole page with that detail);
// - ticked tests are kept here, not in the rows: a filter, a search or a live refresh renders
//   the rows again (ticked again as they come back), and tests that a filter hides stay
//   ticked; hidden inputs in the run form carry them to "Run selected";
// - so are the chosen status filter and search: the stream replaces the whole view when a run
//   starts or its tests arrive, and the tab asks again for the tree it was showing;
// - on a row's name, Space ticks the row (its checkbox is not a tab stop of its own: one tab
//   stop per row), and the arrow keys move to the previous or next row.
"use strict";

const DETAIL = /^\/detail\?/;
const ROW_BOX = "li.t > input[type=checkbox]";
const picked = new Set();
const view = { show: "all", q: "" };

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const href = link.getAttribute("href");
  if (!DETAIL.test(href)) return;
  event.preventDefault();
  htmx.ajax("GET", href, { target: "#detail", swap: "outerHTML" });
});

document.addEventListener("change", (event) => {
  if (event.target.matches("#view-form input")) {
    const form = event.target.form;
    view.show = form.elements.show.value;
    view.q = form.elements.q.value;
  }
});

document.addEventListener("input", (event) => {
  if (event.target.id === "search") view.q = event.target.value;
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

document.addEventListener("htmx:after:swap", () => {
  const tree = document.getElementById("tree");
  const search = document.getElementById("search");
  if (tree && search && (tree.dataset.show !== view.show || search.value !== view.q)) {
    const chip = document.getElementById(`show-${view.show}`);
    if (chip) {
      chip.checked = true;
      search.value = view.q;
      chip.dispatchEvent(new Event("change", { bubbles: true }));  // the form asks for the tree
    }
  }
  if (!picked.size) return;
  document.querySelectorAll(ROW_BOX).forEach((box) => {
    if (picked.has(box.value)) box.checked = true;
  });
});

document.addEventListener("keydown", (event) => {
  const name = event.target.closest("li.t > a.name");
  if (!name || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === " ") {
    const box = name.parentElement.querySelector("input[type=checkbox]");
    if (box) {
      event.preventDefault();
      box.click();
    }
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const names = [...document.querySelectorAll("#tree li.t > a.name")].filter((a) =>
      a.checkVisibility(),
    );
    const next = names[names.indexOf(name) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  }
});
