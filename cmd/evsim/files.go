package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/evsim/evsim/analysis"
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
	if o.phase != "export" {
		outs = append(outs, named{"checkpoint", e.ckpt})
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
	var outPaths, inPaths []string
	for _, f := range outs {
		outPaths = append(outPaths, f.path)
	}
	for _, f := range ins {
		inPaths = append(inPaths, f.path)
	}
	if err := checkOutputs(outPaths, inPaths); err != nil {
		for _, f := range outs {
			if strings.Contains(err.Error(), f.path) {
				if f.flag == "checkpoint" {
					return usagef("the checkpoint %s: %v", f.path, err)
				}
				return usagef("-%s %s: %v", f.flag, f.path, err)
			}
		}
		return usagef("%v", err)
	}
	if e.resumeFile != "" {
		return nil
	}
	return nil
}

// writeFile writes data to path atomically.
func writeFile(path string, data []byte) error {
	if err := analysis.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("%w", err)
	}
	return nil
}

// checkOutputs is replaced by analysis/outfile once it lands.
func checkOutputs(outputs, inputs []string) error {
	return nil
}
