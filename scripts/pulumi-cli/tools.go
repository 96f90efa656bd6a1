//go:build tools

// This module only pins the Pulumi CLI so that scripts/provision-pulumi.sh can build it
// from the Go module proxy (the official installers download from get.pulumi.com).
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
