// One job, live: status, stage, progress and ETA; training curves; the event log, following
// new events; checkpoints; the result; the reports rendered; a workflow's steps; cancel.
import { getJson, request } from "../api.js";
import { duration, h, jobLink, markdown, progressBar, show, statusBadge } from "../dom.js";
import { TrainingCharts } from "../chart.js";
import { followEvents, followMetrics } from "../follow.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const json = (value) => h("pre", { class: "json" }, JSON.stringify(value, null, 2));

function summary(job, onCancel) {
  const p = job.progress;
  const facts = [
    ["kind", job.kind],
    ["status", statusBadge(job.status)],
    ["stage", job.stage ?? ""],
    ["progress", progressBar(job)],
    ["step", p.step === null ? "" : `${p.step} / ${p.total_steps ?? "?"}`],
    ["elapsed", duration(p.elapsed_s)],
    ["ETA", duration(p.eta_s)],
    ["queue position", job.queue_position ?? ""],
    ["attempt", `${job.attempt} / ${job.max_attempts}`],
    ["worker", job.worker ?? ""],
    ["created", job.created_at],
    ["parent", job.parent_id ? jobLink(job.parent_id) : ""],
  ];
  return [
    h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v)])),
    TERMINAL.has(job.status) || job.status === "cancelling"
      ? null
      : h("button", { id: "cancel", class: "danger", onclick: onCancel }, "Cancel job"),
    job.error
      ? h(
          "div",
          { class: "error-box" },
          h("strong", {}, job.error.type),
          h("p", {}, job.error.message),
          job.error.hint ? h("p", {}, `Hint: ${job.error.hint}`) : null,
        )
      : null,
  ];
}

function eventRow(event) {
  return h(
    "li",
    { class: `event level-${event.level}`, "data-event": event.id },
    h("time", {}, event.ts.replace("T", " ").slice(0, 19)),
    h("span", { class: "stage" }, event.stage ?? ""),
    h("span", { class: "message" }, event.message),
  );
}

async function checkpoints(jobId, box) {
  const list = (await getJson(`/jobs/${encodeURIComponent(jobId)}/checkpoints`)).data;
  show(
    box,
    list.length
      ? h(
          "table",
          {},
          h("tr", {}, ["phase", "step", "path", "on disk", "metrics", "reference"].map((t) => h("th", {}, t))),
          list.map((c) =>
            h(
              "tr",
              {},
              h("td", {}, c.phase),
              h("td", {}, c.step),
              h("td", {}, c.path),
              h("td", {}, c.on_disk ? "yes" : "no"),
              h("td", {}, json(c.metrics)),
              h("td", {}, h("code", {}, c.reference)),
            ),
          ),
        )
      : h("p", {}, "No checkpoint."),
  );
}

async function reports(jobId, box) {
  const base = `/jobs/${encodeURIComponent(jobId)}/reports`;
  const list = (await getJson(base)).data.filter((r) => r.on_disk);
  const rendered = [];
  for (const report of list) {
    const text = await request(`${base}/${encodeURIComponent(report.name)}`, { accept: "text/markdown" });
    rendered.push(h("section", { class: "report", "data-report": report.name }, h("h3", {}, `${report.name} — ${report.path}`), markdown(text)));
  }
  show(box, rendered.length ? rendered : h("p", {}, "No report."));
}

async function workflowSteps(job, box) {
  if (job.kind !== "workflow") return;
  let steps = job.result?.steps;
  if (!steps) {
    const children = (await getJson("/jobs?limit=100")).data.filter((c) => c.parent_id === job.id);
    steps = children.reverse().map((c) => ({ step: c.kind, job_id: c.id, status: c.status }));
  }
  const planned = job.spec.steps || [];
  show(
    box,
    h("ol", {}, planned.map((name) => {
      const step = steps.find((s) => s.step === name);
      return h("li", {}, `${name}: `, step ? [jobLink(step.job_id), " ", statusBadge(step.status)] : "not started");
    })),
  );
}

export async function jobView(main, jobId, signal) {
  const path = `/jobs/${encodeURIComponent(jobId)}`;
  let job = await getJson(path);
  const boxes = Object.fromEntries(
    ["summary", "steps", "charts", "events", "checkpoints", "result", "reports"].map((n) => [n, h("div", { id: `job-${n}` })]),
  );
  const errors = h("p", { class: "error" });
  const mode = h("span", { id: "follow-mode", class: "muted" });
  const log = h("ol", { class: "events" });
  boxes.events.append(log);
  const section = (title, box) => h("section", {}, h("h2", {}, title), box);
  show(
    main,
    h("h1", {}, `Job ${job.id}`),
    errors,
    boxes.summary,
    job.kind === "workflow" ? section("Steps", boxes.steps) : null,
    section("Training curves", boxes.charts),
    h("section", {}, h("h2", {}, "Events ", mode), boxes.events),
    section("Checkpoints", boxes.checkpoints),
    section("Result", boxes.result),
    section("Reports", boxes.reports),
  );
  const charts = new TrainingCharts(boxes.charts);
  const cancel = async () => {
    try {
      update(await request(`${path}/cancel`, { method: "POST" }));
    } catch (error) {
      errors.textContent = error.message;
    }
  };
  let finished = false;
  const update = (fresh) => {
    job = fresh;
    show(boxes.summary, summary(job, cancel));
    show(boxes.result, job.result ? json(job.result) : h("p", {}, "No result yet."));
    workflowSteps(job, boxes.steps).catch((e) => (errors.textContent = e.message));
    if (TERMINAL.has(job.status) && !finished) {
      finished = true;
      checkpoints(job.id, boxes.checkpoints).catch((e) => (errors.textContent = e.message));
      reports(job.id, boxes.reports).catch((e) => (errors.textContent = e.message));
    }
  };
  update(job);
  if (!finished) checkpoints(job.id, boxes.checkpoints).catch((e) => (errors.textContent = e.message));
  show(boxes.reports, h("p", {}, "Reports appear when the job ends."));

  const onError = (error) => (errors.textContent = error.message);
  let pending = [];
  let frame = null;
  const metric = (point) => {
    pending.push(point); // drawn once per frame, however many points a page brings
    frame ??= requestAnimationFrame(() => {
      charts.add(pending);
      pending = [];
      frame = null;
    });
  };
  followEvents(job.id, {
    job_event: (event) => {
      const atBottom = boxes.events.scrollTop + boxes.events.clientHeight >= boxes.events.scrollHeight - 4;
      log.append(eventRow(event));
      if (atBottom) boxes.events.scrollTop = boxes.events.scrollHeight;
      if (event.stage === "checkpoint" || /checkpoint/i.test(event.message)) {
        checkpoints(job.id, boxes.checkpoints).catch(onError);
      }
    },
    end: update,
    error: onError,
    mode: (how) => (mode.textContent = `(${how})`),
  }, signal);
  followMetrics(job.id, { metric, progress: update, end: update, error: onError }, signal);
}
