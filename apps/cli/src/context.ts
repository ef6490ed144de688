import type { Io } from "./io.ts";
import type { Output } from "./output.ts";

/** What every command handler gets: the outside world and the way to speak. */
export interface CommandContext {
  io: Io;
  output: Output;
}
