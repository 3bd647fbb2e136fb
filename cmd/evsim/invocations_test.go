package main

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// buildEvsim builds the command once for the tests that run it as a user would.
func buildEvsim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "evsim")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tree hashes every file under dir, so that a test can tell that nothing changed.
func tree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
			m[p] = [32]byte{byte(fi.Mode().Type() >> 24)}
			return nil
		}
		b, _ := os.ReadFile(p)
		m[p] = sha256.Sum256(b)
		return nil
	})
	return m
}

// TestBadInvocations runs the built evsim with bad flags, parameters and files: each is
// refused before any work with exit status 2 and one line naming the flag or file, with
// no stack trace, and no file that existed before changes or appears.
func TestBadInvocations(t *testing.T) {
	bin := buildEvsim(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "ok.snap")
	if _, e, code := runArgs(t, t.Context(), "train", "-n", "5", "-train", "3", "-label", "20", "-out", snap, "-quiet"); code != 0 {
		t.Fatalf("making a snapshot failed: %s", e)
	}
	untrained := filepath.Join(dir, "untrained.snap")
	if err := (&runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: 4, Seed: 1, Engine: runner.EngineSpec{Kind: "event"}, Regime: model.AwakeN(4)},
		Net: runner.NewNetwork(mnist.Pixels, 4, 1)}).Save(untrained); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	corrupt := filepath.Join(dir, "corrupt.snap")
	b, _ := os.ReadFile(snap)
	b[len(b)/2] ^= 0xff
	os.WriteFile(corrupt, b, 0o644)
	empty := filepath.Join(dir, "empty.snap")
	os.WriteFile(empty, nil, 0o644)
	readonly := filepath.Join(dir, "ro.snap")
	os.WriteFile(readonly, []byte("keep"), 0o444)
	hard := filepath.Join(dir, "hard.snap")
	os.Link(snap, hard)
	badData := filepath.Join(dir, "baddata")
	os.Mkdir(badData, 0o755)
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		os.WriteFile(filepath.Join(badData, f), []byte("not gzip at all"), 0o644)
	}
	checkpointJSON := filepath.Join(dir, "damaged.resume")
	os.WriteFile(checkpointJSON, []byte(`{"evsim_checkpoint":"evsim checkpoint v1","pending":{"args":["run"]},"sha256":"00"}`), 0o644)
	out := filepath.Join(dir, "new.snap") // must not appear
	cases := []struct {
		args []string
		want string // must appear in the message
	}{
		{[]string{"dream"}, `"dream"`},
		{[]string{"-phase", "dream"}, `-phase "dream"`},
		{[]string{"-phase"}, "-phase"},
		{[]string{"-phase", ""}, `-phase ""`},
		{[]string{"train", "-phase", "test"}, "given twice"},
		{[]string{"-engine", "gpu"}, `-engine "gpu"`},
		{[]string{"-n", "0"}, "-n 0"},
		{[]string{"-n", "-5"}, "-n -5"},
		{[]string{"-n", "1000000"}, "-n 1000000"},
		{[]string{"-n", "abc"}, "-n"},
		{[]string{"-n", "1.5"}, "-n"},
		{[]string{"-train", "-1"}, "-train -1"},
		{[]string{"-train", "100000001"}, "-train 100000001"},
		{[]string{"-test", "-3"}, "-test -3"},
		{[]string{"-test", "20000"}, "-test 20000"},
		{[]string{"-label", "-2"}, "-label -2"},
		{[]string{"-label", "70000"}, "-label 70000"},
		{[]string{"-engine", "stepped", "-dt", "0"}, "-dt 0"},
		{[]string{"-engine", "stepped", "-dt", "-0.5"}, "-dt -0.5"},
		{[]string{"-engine", "stepped", "-dt", "NaN"}, "-dt NaN"},
		{[]string{"-engine", "stepped", "-dt", "+Inf"}, "-dt +Inf"},
		{[]string{"-engine", "stepped", "-dt", "0.3"}, "-dt 0.3"},
		{[]string{"-engine", "stepped", "-dt", "50"}, "-dt 50"},
		{[]string{"-dt", "0.5"}, "-engine stepped only"},
		{[]string{"-workers", "-1"}, "-workers -1"},
		{[]string{"-workers", "5000"}, "-workers 5000"},
		{[]string{"-profile", "trace"}, `-profile "trace"`},
		{[]string{"-seed", "-1"}, "-seed"},
		{[]string{"-seed", "abc"}, "-seed"},
		{[]string{"-quiet=maybe"}, "-quiet"},
		{[]string{"extra"}, `"extra"`},
		{[]string{"run", "extra"}, `"extra"`},
		{[]string{"-json", "out.json"}, "-results"},
		{[]string{"test"}, "-in"},
		{[]string{"sleep", "-out", out}, "-in"},
		{[]string{"sleep", "-in", snap}, "-out"},
		{[]string{"export", "-in", snap}, "-out"},
		{[]string{"train", "-n", "5"}, "-out"},
		{[]string{"test", "-in", filepath.Join(dir, "missing.snap")}, "missing.snap"},
		{[]string{"test", "-in", dir}, dir},
		{[]string{"test", "-in", "/dev/null"}, "/dev/null"},
		{[]string{"test", "-in", corrupt}, "corrupt.snap"},
		{[]string{"test", "-in", empty}, "empty.snap"},
		{[]string{"-in", ""}, "-in"},
		{[]string{"-out", filepath.Join(dir, "no", "such", "dir", "x.snap")}, "x.snap"},
		{[]string{"-out", dir}, "-out"},
		{[]string{"-out", filepath.Join(notDir, "x.snap")}, "x.snap"},
		{[]string{"-results", filepath.Join(dir, "nope", "r.json")}, "-results"},
		{[]string{"train", "-n", "3", "-out", "/dev/null"}, "/dev/null"},
		{[]string{"train", "-in", snap, "-out", snap}, "-out"},
		{[]string{"export", "-in", snap, "-out", snap}, "-out"},
		{[]string{"train", "-n", "3", "-out", out, "-results", out}, "-"},
		{[]string{"test", "-in", snap, "-results", snap}, "-results"},
		{[]string{"train", "-in", snap, "-out", hard}, "-out"},
		{[]string{"train", "-n", "3", "-out", readonly}, "ro.snap"},
		{[]string{"-warmup-images", "-1"}, "-warmup-images -1"},
		{[]string{"-warmup-inh", "-0.5"}, "-warmup-inh -0.5"},
		{[]string{"-warmup-inh", "NaN"}, "-warmup-inh NaN"},
		{[]string{"-theta-plus", "-1"}, "-theta-plus -1"},
		{[]string{"train", "-in", snap, "-out", out, "-theta-plus", "0.1"}, "-theta-plus"},
		{[]string{"test", "-in", snap, "-theta-plus", "0.1"}, "-theta-plus"},
		{[]string{"-lateral-inh", "-5"}, "-lateral-inh -5"},
		{[]string{"-tau-theta", "-1"}, "-tau-theta -1"},
		{[]string{"-hold-out", "-1"}, "-hold-out -1"},
		{[]string{"-hold-out", "60000"}, "-hold-out 60000"},
		{[]string{"train", "-in", snap, "-out", out, "-hold-out", "5"}, "-hold-out"},
		{[]string{"-tau-theta", "Inf"}, "-tau-theta +Inf"},
		{[]string{"train", "-in", snap, "-out", out, "-tau-theta", "1e8"}, "-tau-theta"},
		{[]string{"train", "-in", snap, "-out", out, "-lateral-inh", "30"}, "-lateral-inh"},
		{[]string{"sleep", "-in", snap, "-lateral-inh", "30"}, "-lateral-inh"},
		{[]string{"train", "-in", snap, "-out", out, "-warmup-images", "500"}, "carries its own training regime"},
		{[]string{"test", "-in", snap, "-warmup-inh", "0.5"}, "-warmup-inh"},
		{[]string{"run", "-in", snap, "-n", "5"}, "-n 5"},
		{[]string{"-sleep-ms", "0"}, "-sleep-ms 0"},
		{[]string{"-sleep-ms", "NaN"}, "-sleep-ms NaN"},
		{[]string{"-sleep-gain", "-1"}, "-sleep-gain -1"},
		{[]string{"-sleep-gain", "Inf"}, "-sleep-gain +Inf"},
		{[]string{"-sleep-leak", "0"}, "-sleep-leak 0"},
		{[]string{"-sleep-exc", "-2"}, "-sleep-exc -2"},
		{[]string{"-sleep-inh", "11"}, "-sleep-inh 11"},
		{[]string{"-sleep-input", "dreams"}, `-sleep-input "dreams"`},
		{[]string{"-sleep-pot", "-1"}, "-sleep-pot -1"},
		{[]string{"-sleep-dep", "1001"}, "-sleep-dep 1001"},
		{[]string{"-sleep-theta-plus", "NaN"}, "-sleep-theta-plus NaN"},
		{[]string{"-sleep-preset", "dreamy"}, `-sleep-preset "dreamy"`},
		{[]string{"sleep", "-in", snap, "-out", out, "-sleep-gain", "1000"}, "-sleep-gain 1000"},
		{[]string{"run", "-sleep-gain", "1000", "-out", out}, "-sleep-gain 1000"},
		{[]string{"-resume", snap, "-n", "4"}, "-resume"},
		{[]string{"-resume", snap, "-workers", "-1"}, "-workers -1"},
		{[]string{"-resume", snap}, "no interrupted run"},
		{[]string{"-resume", ""}, "-resume"},
		{[]string{"-resume", filepath.Join(dir, "gone.resume")}, "gone.resume"},
		{[]string{"-resume", checkpointJSON}, "damaged.resume"},
		{[]string{"train", "-resume", snap}, "-resume"},
		{[]string{"train", "-levels", "abc"}, "-levels"},
		{[]string{"train", "-samples", "-5"}, "-samples"},
		{[]string{"test", "-in", snap, "-out", out}, "-out"},
		{[]string{"train", "-dir", dir}, "-dir"},
		{[]string{"export", "-in", snap, "-out", out, "-seed", "3"}, "-seed"},
		{[]string{"sleepsearch", "-in", snap, "-grid-gain", "abc"}, "-grid-gain"},
		{[]string{"sleepsearch", "-in", snap, "-samples", "-1"}, "-samples -1"},
		{[]string{"sleepsearch", "-in", snap, "-validation", "0"}, "-validation 0"},
		{[]string{"sleepsearch", "-in", snap, "-label", "59000"}, "-label 59000"},
		{[]string{"sleepsearch", "-in", untrained}, "untrained"},
		{[]string{"sleepsearch", "-in", snap + "," + filepath.Join(dir, "gone.snap")}, "gone.snap"},
		{[]string{"sleepsearch", "-in", snap, "-slurm"}, "-dir"},
		{[]string{"sleepsearch", "-in", snap, "-merge"}, "-dir"},
		{[]string{"sleepsearch", "-in", snap, "-dir", dir, "-unit", "abc"}, "-unit"},
		{[]string{"sleepsearch", "-in", snap, "-dir", dir, "-unit", "999:0"}, "-unit 999:0"},
		{[]string{"sleepsearch", "-in", snap, "-dir", dir, "-unit", "0:1"}, "-unit 0:1"},
		{[]string{"sleepsearch", "-in", snap, "-dir", dir, "-unit", "0:0", "-merge"}, "give one"},
		{[]string{"sleepsearch", "-in", snap, "-dir", dir, "-slurm-args", "--time=5"}, "-slurm-args"},
		{[]string{"train", "-unit", "0:0"}, "-unit"},
		{[]string{"paper", "-merge"}, "-merge"},
		{[]string{"train", "-epochs", "0", "-out", out}, "-epochs 0"},
		{[]string{"train", "-epochs", "2", "-train", "10", "-out", out}, "-epochs 2"},
		{[]string{"train", "-checkpoint-every", "-1", "-out", out}, "-checkpoint-every -1"},
		{[]string{"train", "-curve", "20,10", "-out", out}, "-curve"},
		{[]string{"train", "-curve", "abc", "-out", out}, "-curve"},
		{[]string{"train", "-n", "3", "-train", "10", "-curve", "50", "-out", out}, "-curve 50"},
		{[]string{"train", "-curve-label", "10", "-out", out}, "-curve-label"},
		{[]string{"test", "-in", snap, "-curve", "10"}, "-curve"},
		{[]string{"paper", "-seeds", "0"}, "-seeds 0"},
		{[]string{"paper", "-seeds", "101"}, "-seeds 101"},
		{[]string{"paper", "-levels", "5,3"}, "-levels"},
		{[]string{"paper", "-levels", "abc"}, "-levels"},
		{[]string{"paper", "-distort", "0"}, "-distort 0"},
		{[]string{"paper", "-test", "0"}, "-test 0"},
		{[]string{"paper", "-label", "0"}, "-label 0"},
		{[]string{"paper", "-train", "100"}, "-train"},
		{[]string{"run", "-slurm"}, "-slurm: not a flag of evsim run"},
		{[]string{"sleep", "-in", snap, "-out", out, "-chain", "1"}, "-chain: not a flag of evsim sleep"},
		{[]string{"paper", "-slurm-args", "--time=5"}, "applies to -slurm"},
		{[]string{"paper", "-slurm", "-slurm-args", "--array=0-3"}, "--array"},
		{[]string{"paper", "-slurm", "-slurm-args", "-o x.log"}, "evsim sets -o itself"},
		{[]string{"paper", "-slurm", "-slurm-args", "-dafterok:5"}, "evsim sets -d itself"},
		{[]string{"paper", "-slurm", "-slurm-args", "partition=short"}, "not an sbatch option"},
		{[]string{"paper", "-slurm", "-report"}, "give one of them"},
		{[]string{"paper", "-chain", "1", "-cell", "1:1000"}, "give one of them"},
		{[]string{"paper", "-chain", "6"}, "-chain 6: not a seed of this run (seeds 1 to 5)"},
		{[]string{"paper", "-cell", "1"}, "-cell \"1\": must be SEED:LEVEL"},
		{[]string{"paper", "-cell", "1:1500"}, "level 1500 is not a level"},
		{[]string{"paper", "-seed", "3", "-cell", "1:1000"}, "seed 1 is not a seed"},
		{[]string{"run", "-data", filepath.Join(dir, "nodata")}, "nodata"},
		{[]string{"run", "-data", badData, "-out", out}, "baddata"},
		{[]string{"test", "-in", snap, "-label", "0", "-test", "10", "-data", badData}, "baddata"},
	}
	if len(cases) < 80 {
		t.Fatalf("only %d cases, want at least 80", len(cases))
	}
	before := tree(t, dir)
	for _, c := range cases {
		cmd := exec.Command(bin, c.args...)
		cmd.Dir = dir
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		msg := strings.TrimSpace(stderr.String())
		switch {
		case code != 2:
			t.Errorf("evsim %v: exit %d, want 2 (stderr %q)", c.args, code, msg)
		case strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "evsim: ") || !strings.Contains(msg, c.want):
			t.Errorf("evsim %v: message %q, want one line containing %q", c.args, msg, c.want)
		case strings.Contains(msg, "goroutine ") || strings.Contains(msg, "panic"):
			t.Errorf("evsim %v: a trace: %q", c.args, msg)
		case stdout.Len() != 0:
			t.Errorf("evsim %v: wrote to stdout: %q", c.args, stdout.String())
		}
		after := tree(t, dir)
		for p, h := range before {
			if after[p] != h {
				t.Errorf("evsim %v changed or removed %s", c.args, p)
			}
		}
		for p := range after {
			if _, ok := before[p]; !ok {
				t.Errorf("evsim %v left a new file %s", c.args, p)
				os.Remove(p)
			}
		}
	}
}
