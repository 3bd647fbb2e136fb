package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	shBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")
	// evsimCall is an invocation of the command: go run ./cmd/evsim, or the installed binary.
	evsimCall = regexp.MustCompile(`(go run \./cmd/evsim|/bin/evsim"?)(\s|$)`)
)

// TestDocumentedCommands: every evsim command shown in README.md and docs/ (```sh
// blocks) parses and passes evsim's checks of flags and parameters, as written. Loop
// variables ($s, $k) are given a value first.
func TestDocumentedCommands(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range shBlock.FindAllStringSubmatch(string(b), -1) {
			for _, line := range strings.Split(m[1], "\n") {
				line, _, _ = strings.Cut(line, "#")
				line = strings.NewReplacer("$s", "1", "$k", "1k").Replace(line)
				for _, seg := range regexp.MustCompile(`&&|;|\|`).Split(line, -1) {
					loc := evsimCall.FindStringIndex(seg)
					if loc == nil {
						continue
					}
					rest, _, _ := strings.Cut(seg[loc[1]:], ">")
					args := strings.Fields(rest)
					n++
					_, err := parse(args, io.Discard)
					if err != nil && !errors.Is(err, flag.ErrHelp) {
						t.Errorf("%s: evsim %s: %v", filepath.Base(f), strings.Join(args, " "), err)
					}
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d documented evsim commands", n)
	}
}
