package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evsim/evsim/analysis/outfile"
)

// checkFiles refuses, before any work, outputs that would overwrite an input or another
// output of the run, that are not regular files, or that cannot be written; and sets the
// checkpoint path.
func (e *env) checkFiles() error {
	o := e.o
	e.ckpt = e.checkpointPath()
	type named struct{ flag, path string }
	var outs, ins []named
	for _, f := range []named{{"out", o.out}, {"results", o.results}} {
		if f.path != "" {
			outs = append(outs, f)
		}
	}
	// A resumed run rewrites its own checkpoint if interrupted again.
	if o.phase != "export" && e.ckpt != e.resumeFile {
		outs = append(outs, named{"checkpoint", e.ckpt})
	}
	if o.phase == "paper" {
		if err := os.MkdirAll(o.paper.dir, 0o755); err != nil {
			return usagef("-dir %s: cannot create the results folder: %v", o.paper.dir, err)
		}
	}
	if o.in != "" && e.pend == nil {
		for _, p := range strings.Split(o.in, ",") {
			ins = append(ins, named{"in", strings.TrimSpace(p)})
		}
	}
	if e.resumeFile != "" {
		ins = append(ins, named{"resume", e.resumeFile})
	}
	if e.dir != "" {
		matches, _ := filepath.Glob(filepath.Join(e.dir, "*-ubyte*"))
		for _, m := range matches {
			ins = append(ins, named{"data", m})
		}
	}
	// Temporary files that killed evsim runs left in the output folders are removed once
	// they are an hour old; the run says which.
	seen := map[string]bool{}
	for _, f := range outs {
		d := filepath.Dir(f.path)
		if seen[d] {
			continue
		}
		seen[d] = true
		if removed, _ := outfile.CleanStale(d, outfile.StaleAge); len(removed) > 0 && !o.quiet {
			fmt.Fprintf(e.stderr, "evsim: removed %d stale temporary file(s) of killed runs in %s\n", len(removed), d)
		}
	}
	var outPaths, inPaths []string
	for _, f := range ins {
		inPaths = append(inPaths, f.path)
	}
	// One output at a time, after those already checked: an error is then about this
	// output, and the message names its flag.
	for _, f := range outs {
		outPaths = append(outPaths, f.path)
		if err := outfile.Check(outPaths, inPaths); err != nil {
			if f.flag == "checkpoint" {
				return usagef("the checkpoint %s: %v", f.path, err)
			}
			return usagef("-%s %s: %v", f.flag, f.path, err)
		}
	}
	return nil
}
