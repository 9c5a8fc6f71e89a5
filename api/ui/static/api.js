// Every data call of the dashboard: the token (asked for, kept in this tab's sessionStorage,
// sent as a bearer token, never in the page), JSON answers, and errors with the API's detail.

const TOKEN_KEY = "c64ft-api-token";
// Where the API is: the page's own path less `/ui`, so that a proxy's path prefix is kept.
export const BASE = location.pathname.replace(/\/ui\/?$/, "");

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function authHeaders(extra = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

let tokenWanted = null;

// Show the token form; resolves once a token was entered. Several calls share one form.
export function askToken() {
  tokenWanted ??= new Promise((resolve) => {
    const dialog = document.getElementById("token-dialog");
    const form = document.getElementById("token-form");
    form.addEventListener(
      "submit",
      () => {
        sessionStorage.setItem(TOKEN_KEY, document.getElementById("token-input").value);
        tokenWanted = null;
        resolve();
      },
      { once: true },
    );
    if (!dialog.open) dialog.showModal();
  });
  return tokenWanted;
}

function detailOf(body, status) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) {
    return body.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
  }
  return `HTTP ${status}`;
}

// fetch with the token; on 401, ask for the token and try once more with it.
export async function request(path, { method = "GET", body, accept = "application/json" } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = authHeaders({ Accept: accept });
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : body,
    });
    if (response.status === 401 && attempt === 0) {
      await askToken();
      continue;
    }
    const type = response.headers.get("Content-Type") || "";
    const payload = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw new ApiError(response.status, detailOf(payload, response.status));
    return payload;
  }
}

export const getJson = (path) => request(path);
