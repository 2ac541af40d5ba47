export * from './topics.js';
export * from './payloads.js';
export * from './decode.js';
