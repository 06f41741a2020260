import { expect, it } from 'vitest';
import { CloseCode, runtime } from '../src/index.js';

it('re-exports the codec through the node adapter', () => {
  expect(runtime).toBe('node');
  expect(CloseCode.Normal).toBe(1000);
});
