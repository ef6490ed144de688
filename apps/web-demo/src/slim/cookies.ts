// Stands in for es-cookie inside the page's build of Auth0's SPA SDK (see vite.config.ts): the three functions the
// SDK's cookie storage calls (`src/storage.ts`), with es-cookie's own encoding, path and expiry rules, as a module.
// es-cookie ships CommonJS only, which the bundle wraps; this is the same code without the wrapper.

interface Attributes {
  expires?: number | Date;
  domain?: string;
  path?: string;
  secure?: boolean;
  sameSite?: "strict" | "Strict" | "lax" | "Lax" | "none" | "None";
}

function attribute(name: string, value: string | boolean | undefined): string {
  return !value ? "" : value === true ? `; ${name}` : `; ${name}=${value}`;
}

/** es-cookie's `encode`: the name and value percent-encoded but for the characters cookies allow. */
export function encode(name: string, value: string, attributes: Attributes): string {
  let { expires } = attributes;
  if (typeof expires === "number") expires = new Date(Date.now() + expires * 864e5);
  return (
    encodeURIComponent(name)
      .replace(/%(23|24|26|2B|5E|60|7C)/g, decodeURIComponent)
      .replace(/\(/g, "%28")
      .replace(/\)/g, "%29") +
    "=" +
    encodeURIComponent(value).replace(
      /%(23|24|26|2B|3A|3C|3E|3D|2F|3F|40|5B|5D|5E|60|7B|7D|7C)/g,
      decodeURIComponent,
    ) +
    attribute("Expires", expires?.toUTCString()) +
    attribute("Domain", attributes.domain) +
    attribute("Path", attributes.path) +
    attribute("Secure", attributes.secure) +
    attribute("SameSite", attributes.sameSite)
  );
}

/** es-cookie's `parse`: every cookie of `document.cookie`, decoded; one that does not decode is skipped. */
export function parse(cookies: string): Record<string, string> {
  const result: Record<string, string> = {};
  const encoded = /(%[\dA-F]{2})+/gi;
  for (const pair of cookies ? cookies.split("; ") : []) {
    const [name = "", ...rest] = pair.split("=");
    let value = rest.join("=");
    if (value.charAt(0) === '"') value = value.slice(1, -1);
    try {
      result[name.replace(encoded, decodeURIComponent)] = value.replace(encoded, decodeURIComponent);
    } catch {
      // es-cookie ignores a cookie whose name or value does not decode
    }
  }
  return result;
}

export const get = (name: string): string | undefined => parse(document.cookie)[name];

export function set(name: string, value: string, attributes?: Attributes): void {
  // biome-ignore lint/suspicious/noDocumentCookie: es-cookie's own way, which the SDK relies on
  document.cookie = encode(name, value, { path: "/", ...attributes });
}

export const remove = (name: string, attributes?: Attributes): void =>
  set(name, "", { ...attributes, expires: -1 });
