// Command jejak is the Jejak learning record store: one binary with
// subcommands. See `jejak help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "jejak:", err)
			os.Exit(2)
		}
		var ee exitError
		if errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "jejak:", err)
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "jejak:", err)
		os.Exit(1)
	}
}
