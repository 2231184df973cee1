// The public API from the page: JSON in and out, the session cookie plus the CSRF header on every
// request that changes something, and problem+json errors turned into readable messages.

const CSRF_COOKIE = "atelier_csrf";
const SAFE_METHODS = new Set(["GET", "HEAD"]);

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemMessage(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function cookie(name) {
  const prefix = `${name}=`;
  const found = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return found ? decodeURIComponent(found.slice(prefix.length)) : "";
}

function problemMessage(status, problem) {
  if (!problem || typeof problem !== "object") {
    return status >= 500 ? "The server had a problem; please try again." : `Request failed (${status}).`;
  }
  const fields = Array.isArray(problem.errors) ? problem.errors : [];
  if (fields.length > 0) {
    return fields.map((item) => `${humanField(item.field)}: ${item.message}`).join(" ");
  }
  return problem.detail || problem.title || `Request failed (${status}).`;
}

function humanField(field) {
  const name = String(field || "").replaceAll("_", " ");
  return name.charAt(0).toUpperCase() + name.slice(1);
}

// `as: "blob"` answers the body of a successful response as a Blob (a download) instead of JSON.
export async function api(path, { method = "GET", body, headers = {}, as = "json" } = {}) {
  const sent = { Accept: "application/json, application/problem+json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (!SAFE_METHODS.has(method)) sent["X-CSRF-Token"] = cookie(CSRF_COOKIE);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { detail: "Cannot reach Atelier. Check your connection and try again." });
  }
  if (response.status === 204) return null;
  if (as === "blob" && response.ok) return response.blob();
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
