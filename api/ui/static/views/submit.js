// Submit: start from one of the kinds' examples, edit the JSON, dry run (every check, and a
// train job's plan), then submit and go to the job's page.
import { request } from "../api.js";
import { h, show, statusBadge } from "../dom.js";
import { kindExamples } from "./kinds.js";

function checksTable(dry) {
  return [
    h("p", { id: "dry-verdict", class: dry.ok ? "ok" : "error" },
      dry.ok ? `Would be accepted on queue ${dry.queue}.` : "Would be refused: a check failed."),
    h(
      "table",
      { id: "checks" },
      h("tr", {}, ["status", "check", "message"].map((t) => h("th", {}, t))),
      dry.checks.map((c) =>
        h("tr", { "data-check": c.name }, h("td", {}, statusBadge(c.status)), h("td", {}, c.name), h("td", {}, c.message)),
      ),
    ),
    dry.checks.filter((c) => c.data).map((c) =>
      h("details", { open: true, class: "plan" }, h("summary", {}, `${c.name}: figures`),
        h("pre", { class: "json" }, JSON.stringify(c.data, null, 2))),
    ),
    h("details", {}, h("summary", {}, "The resolved spec (every default filled in)"),
      h("pre", { class: "json" }, JSON.stringify(dry.spec, null, 2))),
  ];
}

export async function submitView(main) {
  const examples = await kindExamples();
  const editor = h("textarea", { id: "spec", rows: 18, spellcheck: "false" });
  const outcome = h("div", { id: "outcome" });
  const pick = (name) => {
    const example = examples.find((e) => e.name === name);
    editor.value = JSON.stringify(example.value, null, 2);
    show(outcome);
  };
  const body = () => {
    JSON.parse(editor.value); // refuse text that is not JSON before the service sees it
    return editor.value;
  };
  const send = async (dryRun) => {
    try {
      const answer = await request(`/jobs${dryRun ? "?dry_run=true" : ""}`, { method: "POST", body: body() });
      if (dryRun) show(outcome, checksTable(answer));
      else location.hash = `#/jobs/${encodeURIComponent(answer.id)}`;
    } catch (error) {
      show(outcome, h("p", { class: "error", id: "submit-error" }, error.message));
    }
  };
  show(
    main,
    h("h1", {}, "Submit a job"),
    h("label", {}, "Example ",
      h("select", { id: "example", onchange: (e) => pick(e.target.value) },
        examples.map((e) => h("option", { value: e.name }, e.summary)))),
    editor,
    h("div", { class: "actions" },
      h("button", { id: "dry-run", onclick: () => send(true) }, "Dry run"),
      h("button", { id: "submit", class: "primary", onclick: () => send(false) }, "Submit")),
    outcome,
  );
  if (examples.length) pick(examples[0].name);
}
