// `node --import ./bench/servers/no-whatwg.mjs …`: the process never loads
// framewire's WHATWG module. The node-adapter's own references to it get a
// stub that can only make plain Session servers, and any other path into
// codec/dist/whatwg fails loudly. Used by the whatwg bench's row (a): the
// Session in a process without WHATWG support against one with it.
import { register } from 'node:module';

register('./no-whatwg-hooks.mjs', import.meta.url);
