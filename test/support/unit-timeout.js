// Loaded by mocha (.mocharc.json): a unit test that hangs fails in seconds, not after the
// 120 s every suite inherits (the simulated tenant and the Pulumi CLI need that long; pure code
// does not). Applies to test/unit only, and only where the test did not set its own timeout.
"use strict";
const path = require("node:path");
const { timeout: DEFAULT_MS } = require("../../.mocharc.json");

const UNIT_MS = 10_000;
const UNIT_DIR = `${path.sep}test${path.sep}unit${path.sep}`;

module.exports.mochaHooks = {
  beforeEach() {
    const test = this.currentTest;
    if (test?.file?.includes(UNIT_DIR) && test.timeout() === DEFAULT_MS) test.timeout(UNIT_MS);
  },
};
