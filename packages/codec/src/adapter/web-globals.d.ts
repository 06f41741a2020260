// The adapter layer's http-fallback.ts answers plain HTTP with the runtime's
// web Request/Response (Node 18+, Deno, Bun and browsers all have them).
// Declaring just the members it uses, with no DOM lib, keeps every other
// runtime global out of src/ (see protocol/globals.d.ts).
declare global {
  type BodyInit = Uint8Array | string;
  interface RequestInit {
    method?: string;
    headers?: Array<[string, string]>;
    body?: BodyInit;
  }
  class Request {
    constructor(url: string, init?: RequestInit);
    readonly method: string;
    readonly url: string;
  }
  class Headers {
    [Symbol.iterator](): IterableIterator<[string, string]>;
  }
  class Response {
    readonly status: number;
    readonly statusText: string;
    readonly headers: Headers;
    arrayBuffer(): Promise<ArrayBuffer>;
  }
}
export {};
