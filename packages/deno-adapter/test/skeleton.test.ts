import { expect, it } from 'vitest';
import { CloseCode, runtime } from '../src/index.js';

it('re-exports the codec through the deno adapter', () => {
  expect(runtime).toBe('deno');
  expect(CloseCode.Normal).toBe(1000);
});
