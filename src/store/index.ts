// The store's public face.
export * from './series.js';
export { migrate, MigrationError } from './migrate.js';
