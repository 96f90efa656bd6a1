// Loaded by mocha (.mocharc.json): a unit test that hangs fails in seconds, not after the
// 120 s every suite inherits (the simulated tenant and the Pulumi CLI need that long; pure code
// does not). Applies to test/unit only, and only where the test did not set its own timeout.
// Stryker runs mocha with no timeout at all (0): there the hook sets one too, so a mutant that
// hangs a test fails it in UNIT_TEST_TIMEOUT_MS instead of costing a restarted test runner.
"use strict";
const path = require("node:path");
const { timeout: DEFAULT_MS } = require("../../.mocharc.json");

const UNIT_MS = Number(process.env.UNIT_TEST_TIMEOUT_MS) || 10_000;
const UNIT_DIR = `${path.sep}test${path.sep}unit${path.sep}`;

module.exports.mochaHooks = {
  beforeEach() {
    const test = this.currentTest;
    const ms = test?.timeout();
    if (test?.file?.includes(UNIT_DIR) && (ms === DEFAULT_MS || ms === 0)) test.timeout(UNIT_MS);
  },
};
