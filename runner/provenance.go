package runner

import (
	"runtime"
	"runtime/debug"
)

// Provenance says which program wrote a result and how it was invoked. Snapshots, JSON
// results and reports record it, so that a figure can be traced to the code behind it.
type Provenance struct {
	// Module and Version are the main module's path and version as the Go toolchain
	// stamped them ("(devel)" for a build from a source tree).
	Module  string `json:"module"`
	Version string `json:"version"`
	// Revision is the VCS commit of a build from a repository (go build stamps it; go run
	// and go test do not), and Modified whether the tree had uncommitted changes.
	Revision  string `json:"vcs_revision,omitempty"`
	Modified  bool   `json:"vcs_modified,omitempty"`
	GoVersion string `json:"go_version"`
	// Command is the command line, program name first.
	Command []string `json:"command,omitempty"`
}

// CurrentProvenance describes the running program, invoked as command.
func CurrentProvenance(command []string) Provenance {
	p := Provenance{Module: "github.com/evsim/evsim", Version: "(unknown)", GoVersion: runtime.Version(), Command: command}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return p
	}
	if bi.Main.Path != "" {
		p.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		p.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			p.Revision = s.Value
		case "vcs.modified":
			p.Modified = s.Value == "true"
		}
	}
	return p
}
