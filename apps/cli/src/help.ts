// Help pages in the layout idlink has always printed (commander's): terms padded to one column, descriptions
// wrapped at the terminal's width (80 when not a terminal).

/** One help page: usage line, description, titled lists of `[term, description]`, examples. */
export interface HelpPage {
  usage: string;
  description: string;
  sections: { title: string; items: [term: string, description: string][] }[];
  examples: readonly string[];
}

const minWidthToWrap = 40;

export function formatHelp(page: HelpPage, width = 80): string {
  const termWidth = Math.max(0, ...page.sections.flatMap((s) => s.items.map(([term]) => term.length)));
  const lines = [`Usage: ${page.usage}`, "", wrap(page.description, width), ""];
  for (const { title, items } of page.sections) {
    if (items.length === 0) continue;
    lines.push(title, ...items.map(([term, text]) => formatItem(term, termWidth, text, width)), "");
  }
  const examples = page.examples.map((line) => `  $ ${line}`).join("\n");
  return `${lines.join("\n")}\nExample${page.examples.length > 1 ? "s" : ""}:\n${examples}\n\n`;
}

function formatItem(term: string, termWidth: number, text: string, width: number): string {
  if (text === "") return `  ${term}`;
  const remaining = width - termWidth - 4;
  const body =
    remaining < minWidthToWrap || /\n[^\S\r\n]/.test(text)
      ? text
      : wrap(text, remaining).replace(/\n/g, `\n${" ".repeat(termWidth + 2)}`);
  return `  ${term.padEnd(termWidth)}  ${body.replace(/\n/g, "\n  ")}`;
}

/** Wraps at whitespace, keeping existing line breaks. */
function wrap(text: string, width: number): string {
  if (width < minWidthToWrap) return text;
  return text
    .split(/\r\n|\n/)
    .map((line) => {
      const chunks = line.match(/\s*\S+/g);
      if (chunks === null) return "";
      const out: string[] = [];
      let current = chunks[0] ?? "";
      for (const chunk of chunks.slice(1)) {
        if (current.length + chunk.length <= width) {
          current += chunk;
        } else {
          out.push(current);
          current = chunk.trimStart();
        }
      }
      out.push(current);
      return out.join("\n");
    })
    .join("\n");
}
