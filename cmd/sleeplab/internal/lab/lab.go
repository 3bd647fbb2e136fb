// Package lab holds what the sleeplab research tools share: loading MNIST, the response
// counts that sleeplab -dump writes and sleeplab-readout reads, and the command plumbing
// (flag parsing and exit status) that lets each tool's run function be tested in-process.
package lab

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/evsim/evsim/runner/mnist"
)

// TrainSplit loads the whole training set and checks a labelling count (-label, in
// [1, N]) and a validation count (-val, in [0, N]: the last images of the set).
func TrainSplit(nLabel, nVal int) (*mnist.Set, error) {
	set, err := Load("train", 0)
	if err != nil {
		return nil, err
	}
	if nLabel < 1 || nLabel > set.Len() {
		return nil, Usagef("-label %d: must be in [1, %d]", nLabel, set.Len())
	}
	if nVal < 0 || nVal > set.Len() {
		return nil, Usagef("-val %d: must be in [0, %d]", nVal, set.Len())
	}
	return set, nil
}

// Load loads the first limit images (0: all) of an MNIST split ("train" or "t10k") from
// the GoMNIST module, as evsim does without -data. Sets are read-only, so a process loads
// each (split, limit) once and shares it: the tools' tests run them many times.
func Load(split string, limit int) (*mnist.Set, error) {
	loaded.Lock()
	defer loaded.Unlock()
	key := fmt.Sprintf("%s/%d", split, limit)
	if set, ok := loaded.sets[key]; ok {
		return set, nil
	}
	dir, err := mnist.DefaultDir()
	if err != nil {
		return nil, err
	}
	set, err := mnist.Load(dir, split, limit)
	if err != nil {
		return nil, err
	}
	loaded.sets[key] = set
	return set, nil
}

var loaded = struct {
	sync.Mutex
	sets map[string]*mnist.Set
}{sets: map[string]*mnist.Set{}}

// Counts are the spike counts of a frozen network, one row per image and one column per
// excitatory neuron: on the labelling images (the first of the training set) and on the
// validation images (the last of the training set). sleeplab -dump writes them as gob.
type Counts struct{ Label, Val [][]int32 }

// UsageError is a bad flag, flag value or argument. Main prints it in one line and exits
// with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// Command is a tool's command line: its flags, and the positional arguments it takes.
type Command struct {
	Name  string // as installed, for example "sleeplab-stats"
	Args  string // positional arguments in the usage line, for example "SNAPSHOT..."; "" for flags only
	Flags *flag.FlagSet
}

// NewCommand returns a command without flags whose flag set reports errors to its caller
// instead of printing them and exiting.
func NewCommand(name, args string) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back in one line; -h prints the usage in Parse
	fs.Usage = func() {}
	return &Command{Name: name, Args: args, Flags: fs}
}

// Parse parses args. -h prints the usage to stderr and returns flag.ErrHelp; a bad flag or
// value, or a positional argument to a command that takes flags only, returns a
// *UsageError of one line.
func (c *Command) Parse(args []string, stderr io.Writer) error {
	fs := c.Flags
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "Usage: %s [flags] %s\n", c.Name, c.Args)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
			return err
		}
		first, _, _ := strings.Cut(err.Error(), "\n")
		return Usagef("%s (see %s -h)", first, c.Name)
	}
	if c.Args == "" && fs.NArg() > 0 {
		return Usagef("unexpected argument %q: %s takes flags only (see %s -h)", fs.Arg(0), c.Name, c.Name)
	}
	return nil
}

// ExitCode is the exit status for run's error, which it reports to stderr in one line
// prefixed with the tool's name: 0 for success and for -h, 2 for a *UsageError, 1 for any
// other error.
func ExitCode(name string, err error, stderr io.Writer) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, name+":", err)
		return 2
	default:
		fmt.Fprintln(stderr, name+":", err)
		return 1
	}
}

// Main runs a tool's run function on the command line and exits with ExitCode.
func Main(name string, run func(args []string, stdout, stderr io.Writer) error) {
	os.Exit(ExitCode(name, run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}
