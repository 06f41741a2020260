import { MemoryLog } from '@framewire/pubsub';

const log = new MemoryLog({ maxLength: 100 });
const first = await log.append('news', new TextEncoder().encode('hello'), false);
await log.append('news', new TextEncoder().encode('world'), false);
const missed = await log.read('news', first, 10);
console.log(missed.map((m) => new TextDecoder().decode(m.data)).join(' '));
await log.close();
