/** What core sends requests with: the global fetch, or any function of a Request to a Response. */
export type FetchLike = (input: Request) => Promise<Response>;
