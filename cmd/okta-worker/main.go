// Command okta-worker provisions users in Okta orgs from requests
// published to NATS JetStream. See the README for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `okta-worker provisions Okta users from NATS JetStream requests.

Usage:
  okta-worker run     [flags]   the worker (embedded NATS unless --nats-url)
  okta-worker demo    [flags]   embedded NATS + Okta simulator + worker on a sample batch
  okta-worker sim     [flags]   the Okta simulator on its own
  okta-worker submit  [flags]   publish one request and print its reply
  okta-worker dead list   [--tenant T]                  print the dead letters
  okta-worker dead replay (--id ID | --tenant T | --all) publish them again

Every flag can also be set as OKTA_WORKER_<FLAG> (upper case, '-' as '_').
Run "okta-worker <command> -h" for a command's flags.
`

// command is one subcommand: it defines its flags on fs and returns the
// function that runs it once the flags are parsed.
type command func(fs *flag.FlagSet) func(ctx context.Context) error

var commands = map[string]command{
	"run":    runCommand,
	"demo":   demoCommand,
	"sim":    simCommand,
	"submit": submitCommand,

	"dead list":   deadListCommand,
	"dead replay": deadReplayCommand,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:], os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "okta-worker:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return flag.ErrHelp
	}
	name, rest := args[0], args[1:]
	if name == "dead" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		// "dead" has subcommands: the second word completes the name.
		name, rest = name+" "+rest[0], rest[1:]
	}
	if name == "dead" {
		fmt.Fprint(stderr, usage)
		if len(rest) > 0 && isHelp(rest[0]) {
			return flag.ErrHelp
		}
		return errors.New(`"dead" needs a subcommand: list or replay`)
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", name)
	}
	fs := flag.NewFlagSet("okta-worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	run := cmd(fs)
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", name, fs.Args())
	}
	if err := applyEnv(fs, os.LookupEnv); err != nil {
		return err
	}
	return run(ctx)
}

// applyEnv sets every flag not given on the command line from its
// OKTA_WORKER_* environment variable, so containers can be configured
// without a command line. Flags win over the environment.
func applyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		if v, ok := lookup(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}

func envName(flagName string) string {
	return "OKTA_WORKER_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }
