import 'reflect-metadata';
export * from './errors/index.js';
export * from './report/index.js';
export * from './signer/signer.js';
export * from './signer/software.js';
export * from './pki/index.js';
export * from './signer/load-key.js';
export * from './pdf/index.js';
export * from './cms/sign.js';
