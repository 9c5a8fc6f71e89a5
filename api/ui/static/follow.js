// Following a job live: its server-sent event streams (GET /jobs/{id}/events/stream and
// /jobs/{id}/stream), read with fetch so the bearer token goes in a header (EventSource cannot
// send one) and parsed by the vendored eventsource-parser; resumed with Last-Event-ID after a
// drop. A service without the stream routes (404/405) is polled every 2 s instead.
import { createParser } from "./vendor/eventsource-parser/index.js";
import { ApiError, BASE, askToken, authHeaders, getJson } from "./api.js";

const POLL_MS = 2000;
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

// Read one SSE route until its `end` event. Returns "absent" when the route does not exist,
// "ended" after `end`, "aborted" when the page left. `cursor.id` is the last id seen.
async function stream(path, handlers, cursor, signal) {
  while (!signal.aborted) {
    const headers = authHeaders({ Accept: "text/event-stream" });
    if (cursor.id !== null) headers["Last-Event-ID"] = String(cursor.id);
    let response;
    try {
      response = await fetch(BASE + path, { headers, signal });
    } catch {
      await sleep(POLL_MS, signal); // the service restarted, or the page left
      continue;
    }
    if (response.status === 404 || response.status === 405) return "absent";
    if (response.status === 401) {
      await askToken();
      continue;
    }
    if (!response.ok || !(response.headers.get("Content-Type") || "").includes("event-stream")) {
      await sleep(POLL_MS, signal);
      continue;
    }
    let ended = false;
    const parser = createParser({
      onEvent(event) {
        if (event.id) cursor.id = Number(event.id);
        if (event.event === "end") ended = true;
        handlers[event.event || "message"]?.(JSON.parse(event.data));
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      // a dropped connection: resumed below from cursor.id
    }
    if (ended) return "ended";
    await sleep(POLL_MS, signal);
  }
  return "aborted";
}

// Poll a list route (`?after=<id>`) and the job until the job is final and nothing is left.
async function poll(listPath, onItem, handlers, cursor, jobPath, signal) {
  while (!signal.aborted) {
    const page = await getJson(`${listPath}?after=${cursor.id ?? 0}&limit=1000`);
    for (const item of page.data) {
      cursor.id = item.id;
      onItem(item);
    }
    if (page.has_more) continue;
    const job = await getJson(jobPath);
    handlers.progress?.(job);
    if (TERMINAL.has(job.status)) {
      const rest = await getJson(`${listPath}?after=${cursor.id ?? 0}&limit=1000`);
      rest.data.forEach((item) => ((cursor.id = item.id), onItem(item)));
      if (!rest.has_more) return handlers.end?.(job);
      continue;
    }
    await sleep(POLL_MS, signal);
  }
}

async function follow(streamPath, listPath, itemEvent, jobId, handlers, signal) {
  const cursor = { id: null };
  const jobPath = `/jobs/${encodeURIComponent(jobId)}`;
  try {
    handlers.mode?.("live");
    if ((await stream(streamPath, handlers, cursor, signal)) !== "absent") return "stream";
    handlers.mode?.("polled every 2 s");
    await poll(listPath, handlers[itemEvent], handlers, cursor, jobPath, signal);
    return "poll";
  } catch (error) {
    if (!(error instanceof ApiError) && signal.aborted) return "aborted";
    handlers.error?.(error);
    return "error";
  }
}

// handlers: job_event(event), end(job), error(error), mode(how it follows, in words)
export function followEvents(jobId, handlers, signal) {
  const base = `/jobs/${encodeURIComponent(jobId)}`;
  return follow(`${base}/events/stream`, `${base}/events`, "job_event", jobId, handlers, signal);
}

// handlers: metric(point), progress(job), end(job), error(error), mode(words)
export function followMetrics(jobId, handlers, signal) {
  const base = `/jobs/${encodeURIComponent(jobId)}`;
  return follow(`${base}/stream`, `${base}/metrics`, "metric", jobId, handlers, signal);
}
