import { expect, it } from 'vitest';
import { CloseCode, runtime } from '../src/index.js';

it('re-exports the codec through the bun adapter', () => {
  expect(runtime).toBe('bun');
  expect(CloseCode.Normal).toBe(1000);
});
