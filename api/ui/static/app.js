// The dashboard's router: `#/jobs`, `#/jobs/<id>`, `#/submit`, `#/health`. Each view renders
// into <main> and gets an AbortSignal that ends its timers and streams when the view changes.
import { h, show } from "./dom.js";
import { healthView } from "./views/health.js";
import { jobView } from "./views/job.js";
import { jobsView } from "./views/jobs.js";
import { submitView } from "./views/submit.js";

let current = null;

function route() {
  current?.abort();
  current = new AbortController();
  const [path, query = ""] = (location.hash.slice(1) || "/jobs").split("?");
  const params = new URLSearchParams(query);
  // A view renders into a container of its own: one still loading when the route changed
  // writes into a detached element, never over the new view.
  const main = h("div");
  show(document.getElementById("view"), main);
  const parts = path.split("/").filter(Boolean);
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.getAttribute("href") === `#/${parts[0]}`);
  }
  const views = {
    jobs: () => (parts[1] ? jobView(main, decodeURIComponent(parts[1]), current.signal)
                          : jobsView(main, params, current.signal)),
    submit: () => submitView(main, current.signal),
    health: () => healthView(main, current.signal),
  };
  const view = views[parts[0]];
  if (!view) return show(main, h("p", {}, `No page ${path}.`));
  Promise.resolve(view()).catch((error) => show(main, h("p", { class: "error" }, String(error))));
}

window.addEventListener("hashchange", route);
route();
