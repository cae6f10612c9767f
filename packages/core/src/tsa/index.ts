export * from './timestamper.js';
export * from './client.js';
export * from './authority.js';
export * from './http.js';
