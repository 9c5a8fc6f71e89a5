// Each kind's examples, as the API documents them on POST /jobs (GET /openapi.json).
import { getJson } from "../api.js";

let examples = null;

export async function kindExamples() {
  if (!examples) {
    const openapi = await getJson("/openapi.json");
    const body = openapi.paths["/jobs"].post.requestBody.content["application/json"];
    examples = Object.entries(body.examples || {}).map(([name, example]) => ({
      name,
      summary: example.summary || name,
      value: example.value,
    }));
  }
  return examples;
}

export async function kindNames() {
  return [...new Set((await kindExamples()).map((e) => e.value.kind))].sort();
}
