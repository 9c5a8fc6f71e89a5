// Run `task` now and every `ms` until the view's signal aborts; a failed run shows its error
// in `errorBox` and the next run tries again.
export function every(ms, task, signal, errorBox) {
  let timer = null;
  const run = async () => {
    try {
      await task();
      errorBox?.replaceChildren();
    } catch (error) {
      errorBox?.replaceChildren(String(error.message || error));
    }
    if (!signal.aborted) timer = setTimeout(run, ms);
  };
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  return run();
}
