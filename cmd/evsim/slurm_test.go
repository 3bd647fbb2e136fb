package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evsim/evsim/runner/experiment"
)

// tinyPaper is a paper configuration small enough for a test: 5 neurons, 2 seeds, 2 levels.
var tinyPaper = []string{"paper", "-n", "5", "-seeds", "2", "-levels", "20,40", "-label", "50", "-test", "50", "-distort", "20", "-quiet"}

// runBin runs the built evsim with extra environment variables.
func runBin(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// sameAsLocal checks that every file of the local run's folder is in the cluster run's
// folder with the same bytes, the folder's name aside (the report records the command).
func sameAsLocal(t *testing.T, local, cluster string) {
	t.Helper()
	n := 0
	filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(local, p)
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(cluster, rel))
		if err != nil {
			t.Errorf("the cluster run has no %s: %v", rel, err)
			return nil
		}
		if !bytes.Equal(bytes.ReplaceAll(got, []byte(cluster), []byte(local)), want) {
			t.Errorf("%s differs between the local and the cluster run", rel)
		}
		n++
		return nil
	})
	if n < 20 {
		t.Errorf("the local run wrote only %d files", n)
	}
}

// lastRun is the output of a log's last task (after its last "=== " header).
func lastRun(t *testing.T, log string) string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return s[strings.LastIndex(s, "\n=== ")+1:]
}

var jobLine = regexp.MustCompile(`(?m)^\s*(chains|cells of seed \d+|report): job (\d+)(.*)$`)

// submitted is what evsim paper -slurm printed it submitted: "chains (seeds 1 2)",
// "cells of seed 1 (levels 40)", "report", and the job ids.
func submitted(stdout string) (jobs []string, ids []string) {
	for _, m := range jobLine.FindAllStringSubmatch(stdout, -1) {
		jobs = append(jobs, m[1]+m[3])
		ids = append(ids, m[2])
	}
	return jobs, ids
}

// slurmScenario runs the tiny paper locally and through sbatch, then breaks one seed's
// training chain and another seed's cell and submits again, then repairs them and submits
// again. wait waits for the jobs of one submission and says whether the report job
// succeeded.
func slurmScenario(t *testing.T, bin string, env []string, wait func(ids []string) bool) {
	local, cluster := filepath.Join(t.TempDir(), "local"), filepath.Join(t.TempDir(), "cluster")
	if _, e, code := runBin(t, bin, nil, append(tinyPaper, "-dir", local)...); code != 0 {
		t.Fatalf("local run: exit %d: %s", code, e)
	}
	submit := func(what string, wantJobs []string, wantOK bool) {
		t.Helper()
		out, e, code := runBin(t, bin, env, append(tinyPaper, "-dir", cluster, "-slurm")...)
		if code != 0 {
			t.Fatalf("%s: evsim paper -slurm: exit %d: %s", what, code, e)
		}
		jobs, ids := submitted(out)
		if strings.Join(jobs, "; ") != strings.Join(wantJobs, "; ") {
			t.Fatalf("%s: submitted %q, want %q\n%s", what, jobs, wantJobs, out)
		}
		if ok := wait(ids); ok != wantOK {
			t.Fatalf("%s: the report job succeeded: %v, want %v; its log:\n%s", what, ok, wantOK, lastRun(t, filepath.Join(cluster, "slurm", "logs", "report.log")))
		}
	}
	submit("first submission", []string{"chains (seeds 1 2)", "cells of seed 1 (levels 20 40)", "cells of seed 2 (levels 20 40)", "report"}, true)
	sameAsLocal(t, local, cluster)

	// A chain that fails (its last snapshot cannot be written) and a cell that fails.
	snap, cell := filepath.Join(cluster, "seed1", "awake-40.snap"), filepath.Join(cluster, "seed2", "cell-40.json")
	for _, f := range []string{snap, cell} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(f, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	submit("with a failing chain and cell", []string{"chains (seeds 1)", "cells of seed 1 (levels 40)", "cells of seed 2 (levels 40)", "report"}, false)
	rep := lastRun(t, filepath.Join(cluster, "slurm", "logs", "report.log"))
	for _, want := range []string{"2 of the 4 cells are missing", "training chain of seed 1", chainLog(cluster, 1), "cell 2:40", cellLog(cluster, 2, 40)} {
		if !strings.Contains(rep, want) {
			t.Errorf("the failed report does not name %q:\n%s", want, rep)
		}
	}
	if l := lastRun(t, cellLog(cluster, 2, 40)); !strings.Contains(l, "evsim: ") || !strings.Contains(l, "cell-40.json") {
		t.Errorf("the failed cell's log does not say why:\n%s", l)
	}

	for _, f := range []string{snap, cell} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	submit("after the repair", []string{"chains (seeds 1)", "cells of seed 1 (levels 40)", "cells of seed 2 (levels 40)", "report"}, true)
	sameAsLocal(t, local, cluster)
	submit("with nothing left", []string{"report"}, true)
	sameAsLocal(t, local, cluster)
}

// fakeSbatch is an sbatch that runs each job at once, in the order submitted (which
// meets every dependency evsim asks for), and records each task's exit status.
const fakeSbatch = `#!/bin/sh
d=$(dirname "$0")
n=$(( $(cat "$d/next" 2>/dev/null || echo 100) + 1 ))
echo $n >"$d/next"
echo "$*" >>"$d/calls"
arr=""
while [ $# -gt 0 ]; do
	case "$1" in
	--array=*) arr=${1#--array=} ;;
	-o) shift ;;
	-*) ;;
	*) break ;;
	esac
	shift
done
if [ -z "$arr" ]; then
	SLURM_JOB_ID=$n sh "$@" >/dev/null 2>&1
	echo "$n $?" >>"$d/status"
else
	for i in $(for r in $(echo "$arr" | tr , ' '); do case "$r" in *-*) seq "${r%-*}" "${r#*-}" ;; *) echo "$r" ;; esac; done); do
		SLURM_JOB_ID=$n SLURM_ARRAY_JOB_ID=$n SLURM_ARRAY_TASK_ID=$i sh "$@" >/dev/null 2>&1
		echo "${n}_$i $?" >>"$d/status"
	done
fi
echo "$n;cluster"
`

// TestPaperSlurmScripts runs evsim paper -slurm against a stand-in sbatch that runs the
// jobs at once: the scripts' tasks reproduce the local run byte for byte; a failed chain
// and a failed cell fail the report, which names each and its log; a resubmission
// submits only what is missing; -slurm-dry-run writes the scripts and submits nothing.
func TestPaperSlurmScripts(t *testing.T) {
	bin := buildEvsim(t)
	fake := t.TempDir()
	if err := os.WriteFile(filepath.Join(fake, "sbatch"), []byte(fakeSbatch), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + fake + string(os.PathListSeparator) + os.Getenv("PATH")}
	slurmScenario(t, bin, env, func(ids []string) bool {
		b, _ := os.ReadFile(filepath.Join(fake, "status"))
		report := ids[len(ids)-1]
		m := regexp.MustCompile(`(?m)^` + report + ` (\d+)$`).FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("the report job %s did not run:\n%s", report, b)
		}
		return m[1] == "0"
	})
	searchScenario(t, bin, env, func(ids []string) bool {
		b, _ := os.ReadFile(filepath.Join(fake, "status"))
		merge := ids[len(ids)-1]
		m := regexp.MustCompile(`(?m)^` + merge + ` (\d+)$`).FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("the merge job %s did not run:\n%s", merge, b)
		}
		return m[1] == "0"
	})
	calls, _ := os.ReadFile(filepath.Join(fake, "calls"))
	if !regexp.MustCompile(`--dependency=afterok:\d+_0 --array=1 `).Match(calls) || !strings.Contains(string(calls), "--kill-on-invalid-dep=yes") {
		t.Errorf("the resubmitted cells of seed 1 do not depend on their chain's task 0, or jobs are not killed on invalid dependencies:\n%s", calls)
	}

	dry := filepath.Join(t.TempDir(), "dry")
	out, e, code := runBin(t, bin, env, append(tinyPaper, "-dir", dry, "-slurm-dry-run", "-slurm-args", "--partition=short --time=10")...)
	if code != 0 {
		t.Fatalf("-slurm-dry-run: exit %d: %s", code, e)
	}
	if after, _ := os.ReadFile(filepath.Join(fake, "calls")); !bytes.Equal(after, calls) {
		t.Errorf("-slurm-dry-run called sbatch")
	}
	sub, err := os.ReadFile(filepath.Join(dry, "slurm", "submit.sh"))
	if err != nil || !strings.Contains(string(sub), "'--partition=short' '--time=10'") || !strings.Contains(out, "not submitted") {
		t.Errorf("-slurm-dry-run: submit.sh (%v) lacks the -slurm-args, or the summary does not say it was not submitted:\n%s\n%s", err, sub, out)
	}
	if _, err := os.Stat(filepath.Join(dry, "seed1")); err == nil {
		t.Errorf("-slurm-dry-run computed something")
	}
}

// TestPaperSlurm runs the same scenario against a real single-node Slurm that
// testdata/slurm/start.sh installs (Debian's packages) and starts, and stop.sh stops by
// PID. It runs as root when CI=true, EVSIM_SLURM_TEST=1, or Slurm is installed already;
// elsewhere it says why it skips.
func TestPaperSlurm(t *testing.T) {
	ci := os.Getenv("CI") == "true"
	_, haveSbatch := exec.LookPath("sbatch")
	switch {
	case os.Geteuid() != 0 && ci:
		t.Fatal("CI=true: the Slurm test must run, and starting slurmd and munged needs root")
	case os.Geteuid() != 0:
		t.Skip("starting slurmd and munged needs root: Slurm test skipped")
	case !ci && os.Getenv("EVSIM_SLURM_TEST") != "1" && haveSbatch != nil:
		t.Skip("Slurm is not installed: set EVSIM_SLURM_TEST=1 (or CI=true) to install Debian's Slurm and munge and run this test")
	}
	scripts, _ := filepath.Abs("testdata/slurm")
	state := t.TempDir()
	port := freePorts(t)
	senv := []string{"EVSIM_SLURM_DIR=" + state, fmt.Sprintf("EVSIM_SLURM_PORT=%d", port)}
	start := exec.Command("sh", filepath.Join(scripts, "start.sh"))
	start.Env = append(os.Environ(), senv...)
	// Registered before the start, so that daemons started before a failure are stopped.
	t.Cleanup(func() {
		stop := exec.Command("sh", filepath.Join(scripts, "stop.sh"))
		stop.Env = append(os.Environ(), senv...)
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("stop.sh: %v\n%s", err, out)
		}
	})
	t0 := time.Now()
	if out, err := start.CombinedOutput(); err != nil {
		if !ci && haveSbatch != nil {
			t.Skipf("Slurm could not be installed or started here: %v\n%s", err, out)
		}
		t.Fatalf("start.sh: %v\n%s", err, out)
	}
	t.Logf("Slurm installed and started in %.1f s", time.Since(t0).Seconds())
	env := []string{"SLURM_CONF=" + filepath.Join(state, "slurm.conf")}
	bin := buildEvsim(t)
	wait := func(ids []string) bool {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()
		all := strings.Join(ids, ",")
		for {
			// squeue, not sbatch --wait, which polls every 2, then 8, then 32 s.
			q := exec.CommandContext(ctx, "squeue", "-h", "-j", all)
			q.Env = append(os.Environ(), env...)
			out, err := q.Output()
			if err == nil && len(bytes.TrimSpace(out)) == 0 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("jobs %s not done after 3 minutes: %s", all, out)
			}
			time.Sleep(300 * time.Millisecond)
		}
		report := ids[len(ids)-1]
		s := exec.Command("scontrol", "show", "job", report)
		s.Env = append(os.Environ(), env...)
		out, err := s.Output()
		if err != nil {
			t.Fatalf("scontrol show job %s: %v", report, err)
		}
		state := regexp.MustCompile(`JobState=(\w+)`).FindSubmatch(out)
		if state == nil {
			t.Fatalf("scontrol show job %s: no JobState:\n%s", report, out)
		}
		return string(state[1]) == "COMPLETED"
	}
	slurmScenario(t, bin, env, wait)
	searchScenario(t, bin, env, wait)
}

// freePorts finds a port p such that p and p+1 (slurmctld, slurmd) are free.
func freePorts(t *testing.T) int {
	for p := 16917; p < 17917; p += 2 {
		a, err := net.Listen("tcp", fmt.Sprintf(":%d", p))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", fmt.Sprintf(":%d", p+1))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return p
	}
	t.Fatal("no two free ports for slurmctld and slurmd")
	return 0
}

// TestPaperTaskInterrupted: a chain task stopped by a signal (a Slurm time limit) exits
// with the signal's status, saying where its finished products are, and writes no
// checkpoint; the same task run again finishes the chain.
func TestPaperTaskInterrupted(t *testing.T) {
	dir := t.TempDir()
	args := append(slices.Clone(tinyPaper), "-dir", dir, "-chain", "2")
	_, e, code := runArgs(t, interruptAt(t, "paper", 1), args...)
	if code != 130 || !strings.Contains(e, "interrupted by interrupt") || !strings.Contains(e, "rerun the same command") {
		t.Fatalf("interrupted chain: exit %d, stderr %q; want 130 and how to continue", code, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "seed2", "awake-20.snap")); err != nil {
		t.Errorf("the level finished before the signal is not kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "seed2", "awake-40.snap")); err == nil {
		t.Errorf("the chain went on after the signal")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.resume")); len(m) > 0 {
		t.Errorf("a task wrote a checkpoint: %v", m)
	}
	testHook = nil
	mustRun(t, args...)
	if _, err := os.Stat(filepath.Join(dir, "seed2", "awake-40.snap")); err != nil {
		t.Errorf("the rerun did not finish the chain: %v", err)
	}
}

// tinySearchArgs is a sleep search small enough for a test: 2 grid points.
var tinySearchArgs = []string{"sleepsearch", "-label", "30", "-validation", "30", "-grid-gain", "1", "-grid-leak", "2", "-grid-exc", "1,2", "-grid-inh", "0", "-grid-ms", "500", "-quiet"}

var unitJobLine = regexp.MustCompile(`(?m)^\s*(units|merge): job (\d+)(.*)$`)

// searchScenario runs a tiny sleep search locally and through sbatch: the merged table
// equals the local one; a unit that fails fails the merge, which names it and its log; a
// resubmission runs only that unit; with nothing left, only the merge.
func searchScenario(t *testing.T, bin string, env []string, wait func(ids []string) bool) {
	dir := t.TempDir()
	var nets []string
	for _, seed := range []string{"1", "2"} {
		p := filepath.Join(dir, "net"+seed+".snap")
		if _, e, code := runBin(t, bin, nil, "train", "-n", "5", "-seed", seed, "-train", "20", "-label", "0", "-out", p, "-quiet"); code != 0 {
			t.Fatalf("training: %s", e)
		}
		nets = append(nets, p)
	}
	args := append(slices.Clone(tinySearchArgs), "-in", strings.Join(nets, ","))
	rows := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var r Results
		if err := json.Unmarshal(b, &r); err != nil || len(r.Search) == 0 {
			t.Fatalf("%s: %v", path, err)
		}
		out, _ := json.Marshal(r.Search)
		return string(out)
	}
	local := filepath.Join(dir, "local.json")
	if _, e, code := runBin(t, bin, nil, append(args, "-results", local)...); code != 0 {
		t.Fatalf("local search: exit %d: %s", code, e)
	}
	want := rows(local)
	cluster, res := filepath.Join(dir, "cluster"), filepath.Join(dir, "cluster.json")
	submit := func(what, wantJobs string, wantOK bool) {
		t.Helper()
		os.Remove(res)
		out, e, code := runBin(t, bin, env, append(args, "-dir", cluster, "-slurm", "-results", res)...)
		if code != 0 {
			t.Fatalf("%s: evsim sleepsearch -slurm: exit %d: %s", what, code, e)
		}
		var jobs, ids []string
		for _, m := range unitJobLine.FindAllStringSubmatch(out, -1) {
			jobs, ids = append(jobs, m[1]+m[3]), append(ids, m[2])
		}
		if strings.Join(jobs, "; ") != wantJobs {
			t.Fatalf("%s: submitted %q, want %q\n%s", what, jobs, wantJobs, out)
		}
		if ok := wait(ids); ok != wantOK {
			t.Fatalf("%s: the merge job succeeded: %v, want %v; its log:\n%s", what, ok, wantOK, lastRun(t, filepath.Join(cluster, "slurm", "logs", "merge.log")))
		}
		if wantOK && rows(res) != want {
			t.Fatalf("%s: the cluster's table differs from the local one:\n%s\nwant\n%s", what, rows(res), want)
		}
	}
	submit("first submission", "units (6 units); merge", true)
	broken := unitFile(cluster, experiment.UnitRef{Point: 1, Net: 1})
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	submit("with a failing unit", "units (1 units); merge", false)
	rep := lastRun(t, filepath.Join(cluster, "slurm", "logs", "merge.log"))
	if r := (experiment.UnitRef{Point: 1, Net: 1}); !strings.Contains(rep, "unit 1:1") || !strings.Contains(rep, unitLog(cluster, r)) {
		t.Errorf("the failed merge does not name the unit and its log:\n%s", rep)
	}
	os.Remove(broken)
	submit("after the repair", "units (1 units); merge", true)
	submit("with nothing left", "merge", true)
}
