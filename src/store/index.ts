// The store's public face.
export * from './series.js';
