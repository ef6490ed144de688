/** The median of a list of numbers (the list is not modified). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function now(): number {
  return performance.now();
}

/** Formats a ratio as "1.23×". */
export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

export function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

/** One benchmark's section of RESULTS.md. */
export interface Section {
  title: string;
  command: string;
  /** The first row holds the column names. */
  table: string[][];
  notes: string[];
  /** Figures a test can check for sanity (never for speed). */
  figures: Record<string, number>;
}

export function markdown(section: Section): string {
  const [head, ...rows] = section.table;
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    `## ${section.title}`,
    "",
    `Command: \`${section.command}\``,
    "",
    ...(head ? [line(head), line(head.map(() => "---")), ...rows.map(line)] : []),
    "",
    ...section.notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
}
