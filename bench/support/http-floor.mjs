// The HTTP floor for bench/api.ts: a bare Fastify route on loopback that takes the same JSON
// request as POST /v1/seals/{id}/json and answers a body of the same size, with no
// authentication, no sealing and no log. What autocannon gets from it bounds what any sealing
// route can reach on this machine. Usage: node bench/support/http-floor.mjs PORT ANSWER_BYTES
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../apps/api/package.json', import.meta.url));
const Fastify = require('fastify');
const port = Number(process.argv[2]);
const answer = { signature: 'x'.repeat(Math.max(0, Number(process.argv[3] ?? 5800) - 120)), logEntry: { index: 0, leafHash: '0'.repeat(64), entryId: '0'.repeat(32) } };
const app = Fastify();
app.post('/x', async (request) => {
  if (typeof request.body !== 'object' || request.body === null) throw new Error('expected JSON');
  return answer;
});
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
