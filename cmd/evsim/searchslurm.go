package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/runner/experiment"
)

// validateSearch checks the Slurm flags of evsim sleepsearch: points is the grid's size.
func (s *slurmFlags) validateSearch(o *options, points int) error {
	modes := 0
	for _, name := range []string{"slurm", "slurm-dry-run", "unit", "merge"} {
		if o.set[name] {
			modes++
		}
	}
	if o.set["slurm"] && o.set["slurm-dry-run"] {
		modes--
	}
	if modes > 1 {
		return usagef("-slurm, -unit and -merge each say what this command does: give one of them")
	}
	if modes == 1 && o.paper.dir == "" {
		return usagef("-slurm, -unit and -merge keep the units in a results folder: give -dir DIR (on a folder the tasks share)")
	}
	if o.set["slurm-args"] {
		if !s.submit && !s.dryRun {
			return usagef("-slurm-args %q: applies to -slurm and -slurm-dry-run only", s.args)
		}
		if _, err := sbatchArgs(s.args); err != nil {
			return err
		}
	}
	if o.set["unit"] {
		p, n, err := parseUnit(s.unit)
		if err != nil {
			return err
		}
		if nets := len(strings.Split(o.in, ",")); p < -1 || p >= points || n < 0 || n >= nets {
			return usagef("-unit %s: not a unit of this search (points -1 to %d, networks 0 to %d)", s.unit, points-1, nets-1)
		}
	}
	return nil
}

func parseUnit(v string) (int, int, error) {
	a, b, ok := strings.Cut(v, ":")
	p, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, usagef("-unit %q: must be POINT:NET, e.g. -1:0 (network 0 before sleep) or 3:1", v)
	}
	return p, n, nil
}

// unitFile is where a unit is kept in the results folder.
func unitFile(dir string, r experiment.UnitRef) string {
	if r.Point < 0 {
		return filepath.Join(dir, "units", fmt.Sprintf("before-net%d.json", r.Net))
	}
	return filepath.Join(dir, "units", fmt.Sprintf("point%d-net%d.json", r.Point, r.Net))
}

func unitLog(dir string, r experiment.UnitRef) string {
	return filepath.Join(slurmDir(dir), "logs", fmt.Sprintf("unit-%d-%d.log", r.Point, r.Net))
}

// unitRecord is a unit's file: the unit and the SHA-256 of its encoding, so that a damaged
// or edited file is not used.
type unitRecord struct {
	Unit   json.RawMessage `json:"unit"`
	SHA256 string          `json:"sha256"`
}

func writeUnit(dir string, u experiment.SearchUnit) error {
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	rec, err := json.Marshal(unitRecord{Unit: b, SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return err
	}
	return outfile.WriteFile(unitFile(dir, experiment.UnitRef{Point: u.Point, Net: u.Net}), append(rec, '\n'))
}

// readUnits reads the units kept in dir; a damaged file is named on stderr and left out
// (its unit is then computed again).
func (e *env) readUnits(dir string) ([]experiment.SearchUnit, error) {
	files, err := filepath.Glob(filepath.Join(dir, "units", "*.json"))
	if err != nil {
		return nil, err
	}
	var out []experiment.SearchUnit
	for _, f := range files {
		b, err := readBounded(f, 1<<20)
		var rec unitRecord
		var u experiment.SearchUnit
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err == nil {
			if sum := sha256.Sum256(rec.Unit); hex.EncodeToString(sum[:]) != rec.SHA256 {
				err = errors.New("checksum mismatch")
			}
		}
		if err == nil {
			err = json.Unmarshal(rec.Unit, &u)
		}
		if err != nil {
			if !e.o.quiet {
				fmt.Fprintf(e.stderr, "evsim: %s is damaged (%v): its unit is computed again\n", f, err)
			}
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

// searchTask runs the one unit -unit asks for, keeping it in DIR/units.
func (e *env) searchTask(cfg experiment.SearchConfig) error {
	p, n, err := parseUnit(e.o.slurm.unit)
	if err != nil {
		return err
	}
	u, err := experiment.SearchUnitAt(e.ctx, cfg, experiment.UnitRef{Point: p, Net: n})
	if err != nil {
		return e.taskError(err, e.o.paper.dir)
	}
	if err := writeUnit(e.o.paper.dir, u); err != nil {
		return err
	}
	e.res.Out = unitFile(e.o.paper.dir, experiment.UnitRef{Point: p, Net: n})
	return nil
}

// missingUnits says, for the merge task, which units are missing, naming each task's log.
func missingUnits(dir string, me *experiment.MissingUnitsError) error {
	var parts []string
	for _, r := range me.Units {
		parts = append(parts, fmt.Sprintf("unit %d:%d (log %s)", r.Point, r.Net, unitLog(dir, r)))
	}
	return fmt.Errorf("-merge: %d units of the search are missing or invalid: %s. Rerun the same evsim sleepsearch command (with -slurm) to compute only these",
		len(me.Units), strings.Join(parts, "; "))
}

// searchSubmit writes DIR/slurm/sleepsearch.sbatch, the list of the units left and
// DIR/slurm/submit.sh, and, unless -slurm-dry-run, runs submit.sh: an array of unit
// tasks, then the merge after them all.
func (e *env) searchSubmit(cfg experiment.SearchConfig) error {
	o := e.o
	missing, err := experiment.SearchMissing(cfg)
	if err != nil {
		return err
	}
	pl, err := e.slurmPlace(o.paper.dir)
	if err != nil {
		return err
	}
	sd := slurmDir(pl.dir)
	// The units of this submission, one per line, by array index: a file of its own, so
	// that an earlier submission's pending tasks keep their list.
	var list strings.Builder
	for _, r := range missing {
		fmt.Fprintf(&list, "%d %d\n", r.Point, r.Net)
	}
	sum := sha256.Sum256([]byte(list.String()))
	unitsFile := filepath.Join(sd, "units-"+hex.EncodeToString(sum[:6])+".txt")
	if err := outfile.WriteFile(unitsFile, []byte(list.String())); err != nil {
		return err
	}
	res := &SlurmResult{Script: filepath.Join(sd, "sleepsearch.sbatch"), Submit: filepath.Join(sd, "submit.sh"), Logs: pl.logs, Units: len(missing)}
	script := fmt.Sprintf(`#!/bin/sh
# Written by evsim sleepsearch -slurm: one task of this search, on the shared results folder:
#   evsim %s
# Usage (submit.sh calls it; SLURM_ARRAY_TASK_ID picks the array element):
#   sleepsearch.sbatch unit FILE   array task K: the unit on line K+1 of FILE ("POINT NET")
#   sleepsearch.sbatch merge       the table, from the units (fails naming any missing unit and its log)
set -eu
cd %s
evsim=%s
logs=%s
case "${1-}" in
unit)
	line=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$2")
	p=${line%% *}
	n=${line#* }
	log="$logs/unit-$p-$n.log"
	set -- %s -unit="$p:$n" ;;
merge)
	log="$logs/merge.log"
	set -- %s -merge ;;
*)
	echo "usage: sleepsearch.sbatch unit FILE | merge" >&2
	exit 2 ;;
esac
exec >>"$log" 2>&1
echo "=== $(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ) job ${SLURM_JOB_ID-} (array ${SLURM_ARRAY_JOB_ID-}_${SLURM_ARRAY_TASK_ID-}) on $(hostname): evsim $*"
exec "$evsim" "$@"
`, strings.Join(o.taskArgs(false), " "), shq(pl.cwd), shq(pl.bin), shq(pl.logs), shqAll(o.taskArgs(false)), shqAll(o.taskArgs(true)))
	if err := writeScript(res.Script, script); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(submitHeader("sleepsearch", res.Script, pl.logs, pl.extra))
	dep := ""
	if len(missing) > 0 {
		fmt.Fprintf(&b, "units=$(sb --job-name=evsim-units --array=0-%d -o \"$logs/slurm-units-%%A_%%a.out\" \"$batch\" unit %s)\n", len(missing)-1, shq(unitsFile))
		fmt.Fprintf(&b, "echo \"units: job $units (%d units)\"\n", len(missing))
		// afterany: the merge runs once every unit has ended, however it ended, and fails
		// naming the units that are missing.
		dep = " --dependency=afterany:$units"
	}
	fmt.Fprintf(&b, "merge=$(sb --job-name=evsim-merge%s -o \"$logs/slurm-merge-%%j.out\" \"$batch\" merge)\n", dep)
	b.WriteString("echo \"merge: job $merge\"\n")
	if err := writeScript(res.Submit, b.String()); err != nil {
		return err
	}
	return e.submit(res, pl.dir, "merge")
}
