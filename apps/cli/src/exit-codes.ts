/** idlink's exit codes; the table in README.md says when each is used. */
export const ExitCode = {
  ok: 0,
  apiError: 1,
  usage: 2,
  partialFailure: 3,
  outcomeUnknown: 4,
  declined: 5,
  locked: 6,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
