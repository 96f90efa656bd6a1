// Preloaded into Stryker and its test runners (`npm run mutate` sets NODE_OPTIONS).
// @stryker-mutator/mocha-runner 10.0.0 requires mocha's CLI helpers by extensionless path
// (lib/cli/run-helpers, lib/cli/options), which mocha 12 ships as .cjs files; without this it
// fails to load at all. Maps exactly those requests to the .cjs files, nothing else.
"use strict";
const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const mapped = /[\\/]mocha[\\/]lib[\\/]cli[\\/](run-helpers|options|collect-files)$/.test(request)
    ? `${request}.cjs`
    : request;
  return resolve.call(this, mapped, ...rest);
};
