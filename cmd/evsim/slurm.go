package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/runner/experiment"
)

// slurmFlags submit evsim paper to Slurm as job arrays (-slurm), and run one of its tasks
// (-chain, -cell, -report: what the batch script calls on the cluster).
type slurmFlags struct {
	submit bool   // -slurm
	dryRun bool   // -slurm-dry-run
	args   string // -slurm-args: extra sbatch options
	chain  uint64 // -chain SEED
	cell   string // -cell SEED:LEVEL
	report bool   // -report
	unit   string // -unit POINT:NET (sleepsearch)
	merge  bool   // -merge (sleepsearch)
}

// The flags of the Slurm tasks and of the submission are left out of the command a
// report records and of the command a task runs: they say where the work runs, not what
// it computes.
var slurmFlagNames = []string{"slurm", "slurm-dry-run", "slurm-args", "chain", "cell", "report", "unit", "merge"}

func slurmFlagDefs() []flagDef {
	return []flagDef{
		{name: "slurm", phases: "paper sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.slurm.submit, "slurm", false, "submit what is left of the run to Slurm as job arrays and return (paper: a training chain per seed, a cell per seed and level, then the report; sleepsearch: a task per network and grid point, then the merged table); the scripts and logs go to DIR/slurm (see docs/cluster.md)")
		}},
		{name: "slurm-dry-run", phases: "paper sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.slurm.dryRun, "slurm-dry-run", false, "write the Slurm scripts into DIR/slurm without submitting them")
		}},
		{name: "slurm-args", phases: "paper sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.slurm.args, "slurm-args", "", "extra sbatch options for every job, separated by spaces (e.g. \"--partition=short --time=2:00:00\")")
		}},
		{name: "chain", phases: "paper", reg: func(fs *flag.FlagSet, o *options) {
			fs.Uint64Var(&o.slurm.chain, "chain", 0, "run one task only: train seed SEED's network through the levels, keeping its snapshots in -dir")
		}},
		{name: "cell", phases: "paper", reg: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.slurm.cell, "cell", "", "run one task only: the cell SEED:LEVEL (label, sleep, test), from the seed's snapshot in -dir")
		}},
		{name: "unit", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.slurm.unit, "unit", "", "run one task only: the unit POINT:NET (network NET, from 0, before sleep if POINT is -1, else after grid point POINT), kept in DIR/units")
		}},
		{name: "merge", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.slurm.merge, "merge", false, "run one task only: the table from the units in DIR/units, computing nothing (fails naming any unit missing)")
		}},
		{name: "report", phases: "paper", reg: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.slurm.report, "report", false, "run one task only: write the report from the cells in -dir, computing nothing (fails naming any cell missing)")
		}},
	}
}

// sbatch options that evsim sets itself and -slurm-args must not.
var sbatchOwn = []string{"-a", "--array", "-d", "--dependency", "--wrap", "-o", "--output", "-e", "--error", "--parsable", "-J", "--job-name", "--kill-on-invalid-dep", "-D", "--chdir", "--open-mode"}

// validate checks the Slurm flags of evsim paper; seeds and levels are those of the run.
func (s *slurmFlags) validate(o *options, seeds []uint64, levels []int) error {
	modes := 0
	for _, name := range []string{"slurm", "slurm-dry-run", "chain", "cell", "report"} {
		if o.set[name] {
			modes++
		}
	}
	if o.set["slurm"] && o.set["slurm-dry-run"] {
		modes-- // -slurm-dry-run says not to submit: the same mode
	}
	if modes > 1 {
		return usagef("-slurm, -chain, -cell and -report each say what this command does: give one of them")
	}
	if o.set["slurm-args"] {
		if !s.submit && !s.dryRun {
			return usagef("-slurm-args %q: applies to -slurm and -slurm-dry-run only", s.args)
		}
		if _, err := sbatchArgs(s.args); err != nil {
			return err
		}
	}
	if o.set["chain"] && !slices.Contains(seeds, s.chain) {
		return usagef("-chain %d: not a seed of this run (seeds %s)", s.chain, seedList(seeds))
	}
	if o.set["cell"] {
		seed, level, err := parseCell(s.cell)
		if err != nil {
			return err
		}
		if !slices.Contains(seeds, seed) {
			return usagef("-cell %s: seed %d is not a seed of this run (seeds %s)", s.cell, seed, seedList(seeds))
		}
		if !slices.Contains(levels, level) {
			return usagef("-cell %s: level %d is not a level of this run (-levels %s)", s.cell, level, intList(levels, ","))
		}
	}
	return nil
}

func parseCell(v string) (uint64, int, error) {
	a, b, ok := strings.Cut(v, ":")
	seed, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
	level, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, usagef("-cell %q: must be SEED:LEVEL, e.g. 1:1000", v)
	}
	return seed, level, nil
}

// sbatchArgs splits -slurm-args into sbatch options.
func sbatchArgs(v string) ([]string, error) {
	args := strings.Fields(v)
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "-") {
			return nil, usagef("-slurm-args %q: %q is not an sbatch option (options start with -, e.g. --partition=short; separate them with spaces)", v, a)
		}
		short := name[:min(2, len(name))] // -ofile is -o file
		if slices.Contains(sbatchOwn, name) || !strings.HasPrefix(name, "--") && slices.Contains(sbatchOwn, short) {
			if !strings.HasPrefix(name, "--") {
				name = short
			}
			return nil, usagef("-slurm-args %q: evsim sets %s itself (one job array per stage, its dependencies and log files)", v, name)
		}
		if strings.ContainsAny(a, "'\n") {
			return nil, usagef("-slurm-args %q: an option may not contain quotes or line breaks", v)
		}
	}
	return args, nil
}

func seedList(seeds []uint64) string {
	if len(seeds) > 1 {
		return fmt.Sprintf("%d to %d", seeds[0], seeds[len(seeds)-1])
	}
	return fmt.Sprint(seeds[0])
}

func intList(v []int, sep string) string {
	s := make([]string, len(v))
	for k, x := range v {
		s[k] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// SlurmResult is what evsim paper -slurm submitted (or, with -slurm-dry-run, wrote).
type SlurmResult struct {
	Script    string   `json:"batch_script"`  // DIR/slurm/paper.sbatch: one task, given its kind and array index
	Submit    string   `json:"submit_script"` // DIR/slurm/submit.sh: the sbatch calls
	Logs      string   `json:"logs"`          // DIR/slurm/logs: one log per task
	Chains    int      `json:"chains"`        // training chains to run
	Cells     int      `json:"cells"`         // cells to run
	Submitted bool     `json:"submitted"`
	Jobs      []string `json:"jobs,omitempty"`       // what submit.sh printed: one line per job
	ReportJob string   `json:"report_job,omitempty"` // paper: the report job; sleepsearch: the merge job
	Units     int      `json:"units,omitempty"`      // sleepsearch: units to run
}

// slurmDir is the folder of the scripts and logs inside the results folder.
func slurmDir(dir string) string { return filepath.Join(dir, "slurm") }

func chainLog(dir string, seed uint64) string {
	return filepath.Join(slurmDir(dir), "logs", fmt.Sprintf("chain-seed%d.log", seed))
}

func cellLog(dir string, seed uint64, level int) string {
	return filepath.Join(slurmDir(dir), "logs", fmt.Sprintf("cell-seed%d-level%d.log", seed, level))
}

// taskArgs is the invocation every task runs, less the task flag: the command's
// normalized flags without those of Slurm and without -json and -results (which only the
// report task keeps).
func (o *options) taskArgs(report bool) []string {
	var out []string
	for _, a := range o.args {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if slices.Contains(slurmFlagNames, name) || !report && (name == "json" || name == "results") || name == "profile" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// shq quotes s for sh.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shqAll(v []string) string {
	q := make([]string, len(v))
	for k, s := range v {
		q[k] = shq(s)
	}
	return strings.Join(q, " ")
}

// slurmPlace is where a submission's tasks run: the results folder (absolute), the
// working folder, the evsim binary, the extra sbatch options and the logs folder.
type slurmPlace struct {
	dir, cwd, bin, logs string
	extra               []string
}

// slurmPlace checks that the tasks can run this evsim from a shared folder and makes
// DIR/slurm/logs.
func (e *env) slurmPlace(dir string) (slurmPlace, error) {
	var pl slurmPlace
	var err error
	if pl.dir, err = filepath.Abs(dir); err != nil {
		return pl, err
	}
	if pl.cwd, err = os.Getwd(); err != nil {
		return pl, err
	}
	if pl.bin, err = os.Executable(); err != nil {
		return pl, fmt.Errorf("-slurm: cannot find the evsim binary for the tasks: %w", err)
	}
	if strings.Contains(pl.bin, string(filepath.Separator)+"go-build") {
		// go run builds into a folder it removes when the command ends.
		return pl, usagef("-slurm: this evsim is a temporary build of go run (%s), gone before the jobs run: build it into a shared folder (go build -o ~/bin ./cmd/evsim) and run that", pl.bin)
	}
	if pl.extra, err = sbatchArgs(e.o.slurm.args); err != nil {
		return pl, err
	}
	pl.logs = filepath.Join(slurmDir(pl.dir), "logs")
	if err := os.MkdirAll(pl.logs, 0o755); err != nil {
		return pl, fmt.Errorf("-slurm: %w", err)
	}
	return pl, nil
}

// writeScript writes an executable script atomically.
func writeScript(path, text string) error {
	if err := outfile.WriteFile(path, []byte(text)); err != nil {
		return err
	}
	return os.Chmod(path, 0o755)
}

// submitHeader starts a submit.sh: the batch script and logs, and sb, which submits one
// job with evsim's own sbatch options and the extra ones, and prints its id.
func submitHeader(what, script, logs string, extra []string) string {
	return fmt.Sprintf(`#!/bin/sh
# Written by evsim %s -slurm: submits what was left of the run when it was written
# (rerun the evsim command to submit what is left then). Needs sbatch.
set -eu
batch=%s
logs=%s
sb() {
	out=$(sbatch --parsable --kill-on-invalid-dep=yes --open-mode=append%s "$@")
	echo "${out%%%%;*}"
}
`, what, shq(script), shq(logs), prefixed(extra))
}

// submit records the written scripts in the results and, unless -slurm-dry-run, runs
// res.Submit, keeping the job lines it prints; the one starting with last (the job that
// merges the run) gives ReportJob.
func (e *env) submit(res *SlurmResult, dir, last string) error {
	e.res.Slurm = res
	e.res.Out = dir
	if e.o.slurm.dryRun {
		return nil
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		return fmt.Errorf("-slurm: sbatch is not on the PATH (is this a Slurm login node?); the scripts are written: %s", res.Submit)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(e.ctx, "/bin/sh", res.Submit)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if jobs := strings.TrimSpace(stdout.String()); jobs != "" {
			msg += "; submitted before the failure: " + strings.ReplaceAll(jobs, "\n", ", ")
		}
		return fmt.Errorf("-slurm: %s failed (%v): %s", res.Submit, err, msg)
	}
	res.Submitted = true
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		res.Jobs = append(res.Jobs, l)
		if id, ok := strings.CutPrefix(l, last+": job "); ok {
			res.ReportJob = id
		}
	}
	return nil
}

// slurmSubmit writes DIR/slurm/paper.sbatch and DIR/slurm/submit.sh for what is left of
// the run and, unless -slurm-dry-run, runs submit.sh.
func (e *env) slurmSubmit(cfg experiment.PaperConfig) error {
	o := e.o
	todo, err := experiment.PaperPending(cfg)
	if err != nil {
		return err
	}
	pl, err := e.slurmPlace(cfg.Dir)
	if err != nil {
		return err
	}
	sd := slurmDir(pl.dir)
	res := &SlurmResult{Script: filepath.Join(sd, "paper.sbatch"), Submit: filepath.Join(sd, "submit.sh"), Logs: pl.logs}
	if err := writeScript(res.Script, batchScript(cfg, pl.cwd, pl.bin, o.taskArgs(false), o.taskArgs(true), pl.logs)); err != nil {
		return err
	}
	sub, chains, cells := submitScript(cfg, todo, res.Script, pl.logs, pl.extra)
	res.Chains, res.Cells = chains, cells
	if err := writeScript(res.Submit, sub); err != nil {
		return err
	}
	return e.submit(res, pl.dir, "report")
}

// batchScript is DIR/slurm/paper.sbatch: one task of the run, an ordinary evsim paper
// invocation on the results folder, with its output appended to its own log.
func batchScript(cfg experiment.PaperConfig, cwd, bin string, args, reportArgs []string, logs string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/sh
# Written by evsim paper -slurm: one task of this run, on the shared results folder:
#   evsim %s
# Usage (submit.sh calls it; SLURM_ARRAY_TASK_ID picks the array element):
#   paper.sbatch chain      array task K: the training chain of seed number K (0 = the first seed)
#   paper.sbatch cell K     array task L: the cell of seed number K at level number L
#   paper.sbatch report     the report, from the cells (fails naming any missing cell and its log)
# Each task appends its output to its own log in %s.
set -eu
cd %s
evsim=%s
logs=%s
seed() {
	case "$1" in
`, strings.Join(args, " "), logs, shq(cwd), shq(bin), shq(logs))
	for k, s := range cfg.Seeds {
		fmt.Fprintf(&b, "\t%d) echo %d ;;\n", k, s)
	}
	b.WriteString("\t*) echo \"paper.sbatch: no seed number $1\" >&2; exit 2 ;;\n\tesac\n}\nlevel() {\n\tcase \"$1\" in\n")
	for k, l := range cfg.Levels {
		fmt.Fprintf(&b, "\t%d) echo %d ;;\n", k, l)
	}
	fmt.Fprintf(&b, `	*) echo "paper.sbatch: no level number $1" >&2; exit 2 ;;
	esac
}
case "${1-}" in
chain)
	s=$(seed "$SLURM_ARRAY_TASK_ID")
	log="$logs/chain-seed$s.log"
	set -- %[1]s -chain="$s" ;;
cell)
	s=$(seed "$2")
	l=$(level "$SLURM_ARRAY_TASK_ID")
	log="$logs/cell-seed$s-level$l.log"
	set -- %[1]s -cell="$s:$l" ;;
report)
	log="$logs/report.log"
	set -- %[2]s -report ;;
*)
	echo "usage: paper.sbatch chain | cell K | report" >&2
	exit 2 ;;
esac
exec >>"$log" 2>&1
echo "=== $(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ) job ${SLURM_JOB_ID-} (array ${SLURM_ARRAY_JOB_ID-}_${SLURM_ARRAY_TASK_ID-}) on $(hostname): evsim $*"
exec "$evsim" "$@"
`, shqAll(args), shqAll(reportArgs))
	return b.String()
}

// submitScript is DIR/slurm/submit.sh: the sbatch calls for what is left of the run. It
// prints one line per job; the last is "report: job ID". It returns the script and the
// numbers of chains and cells it submits.
func submitScript(cfg experiment.PaperConfig, todo []experiment.PaperTodo, script, logs string, extra []string) (string, int, int) {
	var b strings.Builder
	b.WriteString(submitHeader("paper", script, logs, extra))
	index := func(seed uint64) int { return slices.Index(cfg.Seeds, seed) }
	var chainIdx []string
	var seeds []string
	chains, cells := 0, 0
	for _, t := range todo {
		if t.Chain {
			chainIdx = append(chainIdx, strconv.Itoa(index(t.Seed)))
			seeds = append(seeds, strconv.FormatUint(t.Seed, 10))
			chains++
		}
	}
	var after []string
	if chains > 0 {
		fmt.Fprintf(&b, "chain=$(sb --job-name=evsim-chain --array=%s -o \"$logs/slurm-chain-%%A_%%a.out\" \"$batch\" chain)\n", strings.Join(chainIdx, ","))
		fmt.Fprintf(&b, "echo \"chains: job $chain (seeds %s)\"\n", strings.Join(seeds, " "))
		after = append(after, "$chain")
	}
	for _, t := range todo {
		if len(t.Cells) == 0 {
			continue
		}
		k := index(t.Seed)
		var idx, lv []string
		for _, c := range t.Cells {
			idx = append(idx, strconv.Itoa(slices.Index(cfg.Levels, c.Level)))
			lv = append(lv, strconv.Itoa(c.Level))
			cells++
		}
		dep := ""
		if t.Chain {
			dep = fmt.Sprintf(" --dependency=afterok:${chain}_%d", k)
		}
		fmt.Fprintf(&b, "cells%d=$(sb --job-name=evsim-cells%s --array=%s -o \"$logs/slurm-cells-%%A_%%a.out\" \"$batch\" cell %d)\n", k, dep, strings.Join(idx, ","), k)
		fmt.Fprintf(&b, "echo \"cells of seed %d: job $cells%d (levels %s)\"\n", t.Seed, k, strings.Join(lv, " "))
		after = append(after, fmt.Sprintf("$cells%d", k))
	}
	dep := ""
	if len(after) > 0 {
		// afterany: the report runs once every task has ended, however it ended, and
		// fails naming the tasks whose cells are missing.
		dep = " --dependency=afterany:" + strings.Join(after, ":")
	}
	fmt.Fprintf(&b, "report=$(sb --job-name=evsim-report%s -o \"$logs/slurm-report-%%j.out\" \"$batch\" report)\n", dep)
	b.WriteString("echo \"report: job $report\"\n")
	return b.String(), chains, cells
}

func prefixed(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return " " + shqAll(v)
}

// paperTask runs the one task -chain or -cell asks for. A task stopped by a signal (a
// Slurm time limit sends SIGTERM) writes no checkpoint: what it finished is in the results
// folder, a chain keeps its partial snapshot, and resubmitting continues from there.
func (e *env) paperTask(cfg experiment.PaperConfig) error {
	return e.taskError(e.runPaperTask(cfg), cfg.Dir)
}

// taskError reports a task stopped by a signal with the signal's exit status, and where
// its finished work is.
func (e *env) taskError(err error, dir string) error {
	if err != nil && e.ctx.Err() != nil {
		code := 130
		var se signalError
		if errors.As(context.Cause(e.ctx), &se) && se.sig == syscall.SIGTERM {
			code = 143
		}
		return &interrupted{fmt.Sprintf("%v; what it finished is in %s: rerun the same command to continue", context.Cause(e.ctx), dir), code}
	}
	return err
}

func (e *env) runPaperTask(cfg experiment.PaperConfig) error {
	o := e.o
	switch {
	case o.set["chain"]:
		return experiment.PaperChain(e.ctx, cfg, o.slurm.chain)
	case o.set["cell"]:
		seed, level, err := parseCell(o.slurm.cell)
		if err != nil {
			return err
		}
		_, err = experiment.PaperCell(e.ctx, cfg, seed, level)
		return err
	}
	return errors.New("evsim: paperTask without a task") // validate prevents it
}

// missingCells says, for the report task, which tasks left their cells missing, naming
// each task's log.
func missingCells(cfg experiment.PaperConfig, todo []experiment.PaperTodo) error {
	var parts []string
	n := 0
	for _, t := range todo {
		if t.Chain {
			n += len(t.Cells)
			parts = append(parts, fmt.Sprintf("the training chain of seed %d (%s; log %s)", t.Seed, t.ChainWhy, chainLog(cfg.Dir, t.Seed)))
			continue
		}
		for _, c := range t.Cells {
			n++
			parts = append(parts, fmt.Sprintf("cell %d:%d (%s; log %s)", t.Seed, c.Level, c.Why, cellLog(cfg.Dir, t.Seed, c.Level)))
		}
	}
	return fmt.Errorf("-report: %d of the %d cells are missing or invalid, left by: %s. Rerun the same evsim paper command (with -slurm) to compute only these",
		n, len(cfg.Seeds)*len(cfg.Levels), strings.Join(parts, "; "))
}
