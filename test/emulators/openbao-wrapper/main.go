// Command vault is Polyvault's test-only build of the Vault server: a one-line entry point around the
// upstream CLI so the Go module proxy can build it from a pinned release (see go.mod for why this is
// HashiCorp Vault rather than OpenBao). test/emulators/vault.mjs builds it into the emulator cache
// and runs `vault server -dev`.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
