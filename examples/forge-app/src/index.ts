// Entry points: the manifest names index.handler, index.adminHandler and the
// webtriggers; the handlers live in other files and are re-exported here, as
// real apps do.
export { handler } from './resolvers';
export * from './admin';
