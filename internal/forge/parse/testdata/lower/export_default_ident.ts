const resolver = new Resolver();
export default resolver.getDefinitions();
