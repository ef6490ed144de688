import type { User } from "./seed.ts";

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

export const page = (title: string, body: string) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} | idlink emulator</title>
<link rel="stylesheet" href="/u/login.css">
</head>
<body>
<main class="box">
<p class="badge">Auth0 emulator: Universal Login stand-in, seeded users only</p>
${body}
</main>
</body>
</html>
`;

/** The login page: one button per seeded user; the `login_hint` match comes first. */
export function loginPage(options: {
  clientName: string;
  transaction: string;
  users: User[];
  loginHint: string | undefined;
  problem?: string;
}): string {
  const { loginHint } = options;
  const hinted = (u: User) => loginHint !== undefined && (u.user_id === loginHint || u.email === loginHint);
  const users = [...options.users.filter(hinted), ...options.users.filter((u) => !hinted(u))];
  const items = users
    .map((u, i) => {
      const focus = i === 0 && hinted(u) ? " autofocus" : "";
      const note = u.email_verified ? "" : " (email not verified)";
      return `<li><button type="submit" name="user_id" value="${escapeHtml(u.user_id)}"${focus}><strong>${escapeHtml(
        u.name ?? u.user_id,
      )}</strong> <span>${escapeHtml(u.email ?? "")}${note}</span> <code>${escapeHtml(u.user_id)}</code></button></li>`;
    })
    .join("\n");
  const problem = options.problem
    ? `<p class="problem" role="alert">${escapeHtml(options.problem)}</p>\n`
    : "";
  return page(
    "Log in",
    `<h1>Log in</h1>
<p>to continue to <strong>${escapeHtml(options.clientName)}</strong></p>
${problem}<form method="post" action="/u/login?state=${encodeURIComponent(options.transaction)}">
<fieldset>
<legend>Sign in as a seeded user</legend>
<ul class="users">
${items}
</ul>
</fieldset>
</form>`,
  );
}

/** An error Auth0 shows on its own page instead of redirecting (e.g. a callback URL that is not allowed). */
export function errorPage(error: string, description: string): string {
  return page(
    "Error",
    `<h1>Oops!, something went wrong</h1>
<p class="problem" role="alert"><code>${escapeHtml(error)}</code>: ${escapeHtml(description)}</p>`,
  );
}

/** A plain page with one message (e.g. after /v2/logout without returnTo). */
export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

/**
 * `response_mode=web_message`: the answer is posted to the window that opened the popup (or the parent of the
 * silent-authentication iframe), for the redirect URI's origin only. The script is a file of the emulator's own,
 * so the page needs no inline script; the answer rides in data attributes.
 */
export function webMessagePage(targetOrigin: string, response: Record<string, string>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>Signing in | idlink emulator</title>
</head>
<body>
<p id="web-message" data-origin="${escapeHtml(targetOrigin)}" data-response="${escapeHtml(JSON.stringify(response))}">Signing in…</p>
<script src="/u/web-message.js"></script>
</body>
</html>
`;
}

export const webMessageScript = `(function () {
  var node = document.getElementById("web-message");
  if (!node) return;
  var target = window.opener || window.parent;
  if (!target || target === window) return;
  target.postMessage(
    { type: "authorization_response", response: JSON.parse(node.getAttribute("data-response")) },
    node.getAttribute("data-origin")
  );
})();
`;

export const loginStyles = `body{font:16px/1.5 system-ui,sans-serif;background:#f4f4f7;color:#1f2330;margin:0}
.box{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
.badge{font-size:.8rem;color:#6b21a8;background:#f3e8ff;display:inline-block;padding:.1rem .5rem;border-radius:4px}
fieldset{border:0;padding:0;margin:0}legend{font-weight:600;margin-bottom:.5rem}
.users{list-style:none;padding:0;margin:0;display:grid;gap:.5rem}
.users button{width:100%;text-align:left;padding:.6rem .8rem;border:1px solid #c9cbd6;border-radius:6px;background:#fff;font:inherit;cursor:pointer;display:grid}
.users button:hover,.users button:focus{border-color:#4338ca;outline:2px solid #4338ca33}
.users span{color:#4b5063;font-size:.9rem}.users code{font-size:.8rem;color:#4b5063;overflow-wrap:anywhere}
.problem{color:#991b1b;background:#fef2f2;padding:.5rem .8rem;border-radius:6px}
`;
