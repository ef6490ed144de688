import { escapeHtml, page } from "./login-page.ts";

/**
 * The lines a consent prompt shows for an API's scopes, by Auth0's default rule: scopes named `action:resource` are
 * grouped by resource, its actions on one line ("`read:messages` and `write:messages` ... display **Messages: read
 * and write your messages**", auth0/docs-v2 main/docs/customize/login-pages/customize-consent-prompts.mdx); any
 * other scope is shown by its name. `offline_access` is not an API scope and is not listed.
 */
export function consentLines(scopes: readonly string[]): string[] {
  const actions = new Map<string, string[]>();
  const lines: string[] = [];
  for (const scope of scopes) {
    if (scope === "offline_access") continue;
    const match = /^([^:]+):(.+)$/.exec(scope);
    if (!match?.[1] || !match[2]) {
      lines.push(scope);
      continue;
    }
    const list = actions.get(match[2]) ?? [];
    list.push(match[1]);
    actions.set(match[2], list);
  }
  const grouped = [...actions].map(([resource, verbs]) => {
    const said = verbs.length === 1 ? verbs[0] : `${verbs.slice(0, -1).join(", ")} and ${verbs.at(-1)}`;
    return `${resource.charAt(0).toUpperCase()}${resource.slice(1)}: ${said} your ${resource}`;
  });
  return [...grouped, ...lines];
}

/**
 * The consent prompt of a third-party application, in the texts of Universal Login's `consent` screen ("Authorize
 * App", "Hi ${userName},", "${clientName} is requesting access to your ${companyName} account.", Accept, Decline:
 * auth0/docs-v2 main/docs/customize/login-pages/universal-login/customize-text-elements.mdx). It posts `action`
 * `accept` or `deny` to itself, as the screen's form does.
 */
export function consentPage(options: {
  clientName: string;
  userName: string;
  tenantName: string;
  apiName: string;
  scopes: readonly string[];
  state: string;
}): string {
  const lines = consentLines(options.scopes);
  const items =
    lines.length === 0
      ? "<li>No permissions on this API</li>"
      : lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("\n");
  return page(
    `Authorize ${options.clientName}`,
    `<h1>Authorize App</h1>
<p>Hi ${escapeHtml(options.userName)},</p>
<p><strong>${escapeHtml(options.clientName)}</strong> is requesting access to your ${escapeHtml(options.tenantName)} account.</p>
<p>${escapeHtml(options.apiName)}</p>
<ul class="scopes">
${items}
</ul>
<form method="post" action="/u/consent?state=${encodeURIComponent(options.state)}">
<button type="submit" name="action" value="deny">Decline</button>
<button type="submit" name="action" value="accept" autofocus>Accept</button>
</form>`,
  );
}
