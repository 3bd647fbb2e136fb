package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
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
	// Binary is the SHA-256 of the running executable, recorded when the build carries no
	// clean VCS revision (go run, go test, a modified tree): it then tells builds apart.
	Binary string `json:"binary_sha256,omitempty"`
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
	if p.Revision == "" || p.Modified {
		p.Binary = binarySum()
	}
	return p
}

// binarySum is the hex SHA-256 of the running executable ("" if it cannot be read),
// computed once.
var binarySum = sync.OnceValue(func() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
})
