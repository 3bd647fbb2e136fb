package lab

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestCommand: -h prints the usage with the flags and exits 0; a bad flag, a bad value or an
// argument to a flags-only command is one line and exits 2; any other error exits 1; each
// message is prefixed with the tool's name.
func TestCommand(t *testing.T) {
	parse := func(args string, argv ...string) (error, string) {
		c := NewCommand("tool", args)
		c.Flags.Int("n", 3, "neurons")
		var stderr bytes.Buffer
		err := c.Parse(argv, &stderr)
		return err, stderr.String()
	}
	err, usage := parse("", "-h")
	if !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(usage, "Usage: tool [flags] \n") || !strings.Contains(usage, "neurons (default 3)") {
		t.Errorf("-h: %v, %q", err, usage)
	}
	if err, _ := parse("FILE...", "-n", "4", "a", "b"); err != nil {
		t.Errorf("arguments to a command that takes them: %v", err)
	}
	for _, c := range []struct {
		args string
		argv []string
		want string
	}{
		{"", []string{"-x"}, "tool: flag provided but not defined: -x (see tool -h)\n"},
		{"", []string{"-n", "a"}, `tool: invalid value "a" for flag -n: parse error (see tool -h)` + "\n"},
		{"", []string{"a"}, `tool: unexpected argument "a": tool takes flags only (see tool -h)` + "\n"},
	} {
		err, printed := parse(c.args, c.argv...)
		var stderr bytes.Buffer
		if code := ExitCode("tool", err, &stderr); code != 2 || stderr.String() != c.want || printed != "" {
			t.Errorf("%q: exit %d, %q (and %q while parsing), want exit 2, %q", c.argv, code, stderr.String(), printed, c.want)
		}
	}
	var stderr bytes.Buffer
	if code := ExitCode("tool", errors.New("disk full"), &stderr); code != 1 || stderr.String() != "tool: disk full\n" {
		t.Errorf("other error: exit %d, %q", code, stderr.String())
	}
	if code := ExitCode("tool", nil, &stderr); code != 0 {
		t.Errorf("success: exit %d", code)
	}
}
