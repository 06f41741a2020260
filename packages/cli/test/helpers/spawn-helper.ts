// One running spawn helper for a test file (started before, closed after).
import { afterAll, beforeAll } from 'vitest';
import { SpawnHelper, spawnHelperPath } from '../../src/serve/spawn-helper.js';

/** Start the package's helper before the file's tests; the getter returns it. */
export function useSpawnHelper(): () => SpawnHelper {
  let helper: SpawnHelper | undefined;
  beforeAll(async () => {
    const started = await SpawnHelper.start(spawnHelperPath()!);
    if (!(started instanceof SpawnHelper)) throw new Error(started.unavailable);
    helper = started;
  });
  afterAll(() => helper?.close());
  return () => helper!;
}
