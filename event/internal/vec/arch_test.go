package vec

import (
	"os"
	"os/exec"
	"testing"
)

// TestPortableBuildVets type-checks the event packages for a CPU without the AVX2 kernels
// (arm64: cpu_other.go instead of the assembly), so that a kernel whose signature changes
// without its portable stub fails here, not only on another machine.
func TestPortableBuildVets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goBin, "vet", "github.com/evsim/evsim/event/...")
	cmd.Env = append(os.Environ(), "GOARCH=arm64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOARCH=arm64 go vet ./event/...: %v\n%s", err, out)
	}
}
