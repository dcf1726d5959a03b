export * from './types.js';
export * from './util.js';
export * from './names.js';
export * from './selectors.js';
export * from './quantity.js';
