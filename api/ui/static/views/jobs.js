// The jobs list: status, kind, stage, progress with ETA, queue position, age; filtered by
// status and kind (kept in the address: #/jobs?status=running&kind=train); refreshed every 3 s.
import { getJson } from "../api.js";
import { age, h, jobLink, progressBar, show, statusBadge } from "../dom.js";
import { kindNames } from "./kinds.js";
import { every } from "./every.js";

const STATUSES = ["queued", "running", "cancelling", "succeeded", "failed", "cancelled"];

function filterSelect(name, values, chosen, params) {
  const onchange = (event) => {
    const next = new URLSearchParams(params);
    if (event.target.value) next.set(name, event.target.value);
    else next.delete(name);
    location.hash = `#/jobs${next.size ? `?${next}` : ""}`;
  };
  return h(
    "label",
    {},
    `${name} `,
    h(
      "select",
      { name, id: `filter-${name}`, onchange },
      h("option", { value: "" }, "any"),
      values.map((v) => h("option", { value: v, selected: v === chosen }, v)),
    ),
  );
}

function row(job) {
  return h(
    "tr",
    { "data-job": job.id },
    h("td", {}, jobLink(job.id)),
    h("td", {}, job.kind),
    h("td", {}, statusBadge(job.status)),
    h("td", {}, job.stage ?? ""),
    h("td", {}, progressBar(job)),
    h("td", {}, job.queue_position ?? ""),
    h("td", { title: job.created_at }, age(job.created_at)),
  );
}

export async function jobsView(main, params, signal) {
  const kinds = await kindNames();
  const body = h("tbody");
  const errors = h("p", { class: "error" });
  const query = new URLSearchParams({ limit: "50" });
  for (const name of ["status", "kind"]) if (params.get(name)) query.set(name, params.get(name));
  show(
    main,
    h("h1", {}, "Jobs"),
    h(
      "div",
      { class: "filters" },
      filterSelect("status", STATUSES, params.get("status"), params),
      filterSelect("kind", kinds, params.get("kind"), params),
    ),
    errors,
    h(
      "table",
      { class: "jobs" },
      h(
        "thead",
        {},
        h("tr", {}, ["job", "kind", "status", "stage", "progress", "queue", "age"].map((t) => h("th", {}, t))),
      ),
      body,
    ),
  );
  await every(
    3000,
    async () => {
      const page = await getJson(`/jobs?${query}`);
      const rows = page.data.map(row);
      show(body, rows.length ? rows : h("tr", {}, h("td", { colspan: 7 }, "No jobs.")));
    },
    signal,
    errors,
  );
}
