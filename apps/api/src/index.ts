export { buildApp, type RouteContext } from './app.js';
export * from './deps.js';
export { toProblem, problem } from './problem.js';
