// pytest-web's own script: what htmx attributes would cost on every row of a big tree.
// One listener for the whole page, so rows carry no htmx attributes:
// - a click on a link to a test's detail (`/detail?...`) fetches it into the detail pane
//   (without script, the link opens the whole page with that detail);
// - on a row's name, Space ticks the row's checkbox (the checkbox is not a tab stop of its own:
//   one tab stop per row), and the arrow keys move to the previous or next row.
"use strict";

const DETAIL = /^\/detail\?/;

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const href = link.getAttribute("href");
  if (!DETAIL.test(href)) return;
  event.preventDefault();
  htmx.ajax("GET", href, { target: "#detail", swap: "outerHTML" });
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
