"use strict";
// CommonJS with a re-export through a directory import.
const { resolver } = require('./handlers');
module.exports.run = resolver.getDefinitions();
