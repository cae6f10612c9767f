export { buildApp, type RouteContext } from './app.js';
export * from './deps.js';
export { toProblem, problem } from './problem.js';
export { startServer, type ServeOptions, type RunningServer } from './server.js';
export { ensureDemoData, type DevCredentials } from './demo.js';
export { createPooledEngine } from './engine/pool.js';
export { createLocalEngine } from './engine/local.js';
