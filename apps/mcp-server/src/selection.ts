/** Which tools a server registers: shared by the SDK server and the stdio front, which lists without loading it. */
export interface ToolSelection {
  /** Register only the tools that change nothing (and let the previews issue no confirmation tokens). */
  readOnly?: boolean;
  /** Register only these tools (intersected with the read-only set in read-only mode). */
  tools?: readonly string[];
}

/** Whether a tool with this name and `readOnlyHint` is registered under the selection. */
export function isSelected(name: string, readOnlyHint: boolean, selection: ToolSelection): boolean {
  return (
    (selection.tools === undefined || selection.tools.includes(name)) &&
    (selection.readOnly !== true || readOnlyHint)
  );
}
