// Health: the database and the broker (GET /health), the live workers with their node, GPUs,
// queues and current job, and each queue's depth (GET /workers; a service without it shows
// /health only).
import { ApiError, BASE, getJson } from "../api.js";
import { age, h, jobLink, show, statusBadge } from "../dom.js";
import { every } from "./every.js";

// A gpu worker started without --gpus may use every GPU its process sees; the cards it found
// (name, memory) follow its ids.
const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(0)} GiB`;
const cards = (w) => (w.gpus ?? []).map((g) => `${g.name} (${gib(g.memory_bytes)})`).join(", ");
const devices = (w) =>
  [(w.devices ?? []).join(", ") || (w.queues.some((q) => q.startsWith("gpu")) ? "all it sees" : "none"), cards(w)]
    .filter(Boolean).join(": ");

function workersTable(workers) {
  return [
    h("h2", {}, "Workers"),
    h("table", { id: "workers" },
      h("tr", {}, ["host", "node", "GPUs", "queues", "pid", "started", "heartbeat", "current job"].map((t) => h("th", {}, t))),
      workers.data.length
        ? workers.data.map((w) => h("tr", {},
            h("td", {}, w.hostname), h("td", {}, w.node ?? ""),
            h("td", { "data-devices": w.hostname }, devices(w)),
            h("td", {}, w.queues.join(", ")), h("td", {}, w.pid ?? ""),
            h("td", {}, w.started_at ? `${age(w.started_at)} ago` : ""),
            h("td", {}, w.heartbeat_at ? `${age(w.heartbeat_at)} ago` : ""),
            h("td", {}, w.current_job
              ? [jobLink(w.current_job.id), ` ${w.current_job.kind} `, statusBadge(w.current_job.status), ` ${w.current_job.stage ?? ""}`]
              : "idle")))
        : h("tr", {}, h("td", { colspan: 8 }, "No live worker."))),
    h("h2", {}, "Queues"),
    h("table", { id: "queues" },
      h("tr", {}, h("th", {}, "queue"), h("th", {}, "messages waiting")),
      Object.entries(workers.queues).map(([name, depth]) =>
        h("tr", {}, h("td", {}, name), h("td", {}, depth ?? "unknown")))),
  ];
}

async function workersOrNull() {
  try {
    return await getJson("/workers");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

export async function healthView(main, signal) {
  const box = h("div", { id: "health" });
  const errors = h("p", { class: "error" });
  show(main, h("h1", {}, "Health"), errors, box);
  await every(5000, async () => {
    const health = await fetch(`${BASE}/health`).then((r) => r.json()); // 503 still has the body
    const workers = await workersOrNull();
    show(box,
      h("dl", { class: "facts" },
        [["status", statusBadge(health.status)], ["database", health.database], ["broker", health.broker],
         ["live workers", health.workers]].flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v)])),
      workers ? workersTable(workers) : h("p", { class: "muted" }, "This service has no GET /workers: worker details are not shown."));
  }, signal, errors);
}
