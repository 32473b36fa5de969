'use strict';
const api = require('@forge/api');
const { route } = require("@forge/api");
module.exports = { run };
module.exports.handler = async (event) => event;
exports.run = function () {};
exports.named = function inner() {};
module.exports.default = class {};
