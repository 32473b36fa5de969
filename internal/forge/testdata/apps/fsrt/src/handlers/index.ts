export { resolver } from './resolver';
