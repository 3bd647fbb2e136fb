package vec

import (
	"os"
	"os/exec"
	"testing"
)

// TestPortableBuildVets type-checks the event packages for a CPU without the AVX2 kernels
// (arm64: cpu_other.go instead of the assembly), so that a kernel whose signature changes
// without its portable stub fails here, not only on another machine; and the whole module
// where int has 32 bits (386), so that a constant that overflows it does too.
func TestPortableBuildVets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, c := range []struct{ arch, pkgs string }{{"arm64", "github.com/evsim/evsim/event/..."}, {"386", "github.com/evsim/evsim/..."}} {
		cmd := exec.Command(goBin, "vet", c.pkgs)
		cmd.Env = append(os.Environ(), "GOARCH="+c.arch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOARCH=%s go vet %s: %v\n%s", c.arch, c.pkgs, err, out)
		}
	}
}
