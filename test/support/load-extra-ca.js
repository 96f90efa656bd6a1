// Loaded by mocha before any test (.mocharc.json). Node 24 reads NODE_EXTRA_CA_CERTS lazily, at
// the process's first TLS use, and never again: a read that fails then (seen once in CI, with
// "PEM routines::ASN1 lib" for a valid file, after tests had already run in the process) leaves
// the whole test process distrusting the simulated tenant, and every later TLS test fails.
// Reading it here, first thing, takes that moment out of the tests' hands.
"use strict";
require("node:tls").createSecureContext();
