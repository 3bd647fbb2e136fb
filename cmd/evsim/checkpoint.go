package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/runner"
)

// jsonCheckpoint is the checkpoint of a phase without one network (sleepsearch, paper).
type jsonCheckpoint struct {
	Magic   string          `json:"evsim_checkpoint"`
	Pending json.RawMessage `json:"pending"`
	// SHA256 is the hex SHA-256 of Pending's bytes: a damaged or edited record is refused.
	SHA256 string `json:"sha256"`
}

const checkpointMagic = "evsim checkpoint v1"

// The stages a checkpoint may list as done.
var stages = []string{"train", "label", "test", "before", "awake-rate", "sleep", "relabel", "after", "search", "paper"}

// checkpointPath is where an interrupt of this run writes its checkpoint: the checkpoint
// it resumed from, OUT.resume, DIR/evsim-paper.resume, or a file named after a run id in
// the current folder. Always absolute.
func (e *env) checkpointPath() string {
	o := e.o
	var p string
	switch {
	case e.resumeFile != "":
		p = e.resumeFile
	case o.out != "":
		p = o.out + ".resume"
	case o.phase == "paper":
		p = filepath.Join(o.paper.dir, "evsim-paper.resume")
	default:
		p = fmt.Sprintf("evsim-%s-%s-%d.resume", o.phase, time.Now().UTC().Format("20060102T150405"), os.Getpid())
	}
	if a, err := filepath.Abs(p); err == nil {
		p = a
	}
	return p
}

// resumeArgs is the invocation a checkpoint records: the normalized flags, with the seed
// and label count the run resolved (a snapshot's seed, a phase's default) made explicit.
func (e *env) resumeArgs() []string {
	args := slices.Clone(e.o.args)
	if f, ok := defOf("seed"); ok && f.takes(e.o.phase) {
		args = setArg(args, "seed", strconv.FormatUint(e.o.seed, 10))
	}
	if f, ok := defOf("label"); ok && f.takes(e.o.phase) {
		args = setArg(args, "label", strconv.Itoa(e.o.label))
	}
	return args
}

func setArg(args []string, name, v string) []string {
	out := args[:0:0]
	for _, a := range args {
		if len(a) > len(name)+1 && a[:len(name)+2] == "-"+name+"=" {
			continue
		}
		out = append(out, a)
	}
	return append(out, "-"+name+"="+v)
}

// checkpoint writes what the run has done, then reports the interruption with the exit
// status of the signal.
func (e *env) checkpoint(stage string) error {
	path, err := e.writeCheckpoint(stage)
	what := fmt.Sprintf("interrupted during %s", stage)
	if stage == "train" {
		what = fmt.Sprintf("training interrupted after %d of %d images", e.trainSoFar.Images, e.o.train)
	}
	if stage == "sleep" {
		what = fmt.Sprintf("sleep interrupted after %.0f of %.0f ms", e.sleepSoFar.DurationMS, e.sleepCfg.DurationMS)
	}
	if err != nil {
		return fmt.Errorf("%s; the checkpoint could not be written: %w", what, err)
	}
	code := 130
	var se signalError
	if errors.As(context.Cause(e.ctx), &se) && se.sig == syscall.SIGTERM {
		code = 143
	}
	return &interrupted{fmt.Sprintf("%s; checkpoint written to %s; continue with: evsim -resume %s", what, path, path), code}
}

// writeCheckpoint writes what the run has done, stopped in stage, to the run's checkpoint
// file, and returns its path.
func (e *env) writeCheckpoint(stage string) (string, error) {
	res, err := json.Marshal(e.res)
	if err != nil {
		return "", fmt.Errorf("the checkpoint could not be encoded: %w", err)
	}
	p := pending{Args: e.resumeArgs(), Done: e.finished, Results: res, Start: e.trainStart}
	if e.pend != nil && !e.done("train") {
		p.Start = e.pend.Start
	}
	switch stage {
	case "train":
		st := e.trainSoFar
		p.Train = &st
	case "sleep":
		st := e.sleepSoFar
		p.SleptMS, p.SleepSoFar, p.SleepStart = st.DurationMS, &st, e.sleepStart
	case "search":
		p.Nets = e.searchNets
		if e.searchUnits != nil {
			if p.Units, err = e.searchUnits(); err != nil {
				return "", fmt.Errorf("the checkpoint could not be encoded: %w", err)
			}
		}
	}
	path := e.ckpt
	if e.snap != nil && e.o.phase != "sleepsearch" && e.o.phase != "paper" {
		if e.snap.Meta.Pending, err = json.Marshal(p); err == nil {
			prov := e.res.Provenance
			e.snap.Meta.Provenance = &prov
			err = e.snap.Save(path)
		}
	} else {
		var rec, b []byte
		if rec, err = json.Marshal(p); err == nil {
			sum := sha256.Sum256(rec)
			if b, err = json.Marshal(jsonCheckpoint{Magic: checkpointMagic, Pending: rec, SHA256: hex.EncodeToString(sum[:])}); err == nil {
				err = outfile.WriteFile(path, b)
			}
		}
	}
	return path, err
}

// maxCheckpoint bounds a JSON checkpoint read into memory.
const maxCheckpoint = 1 << 30

// loadResume reads a checkpoint and restores the run it records.
func (e *env) loadResume() error {
	file := e.o.resume
	if err := inputExists("resume", file); err != nil {
		return err
	}
	if a, err := filepath.Abs(file); err == nil {
		file = a
	}
	head, err := readHead(file, 8)
	if err != nil {
		return &badInput{fmt.Errorf("-resume %s: %w", file, err)}
	}
	var p pending
	var snap *runner.Snapshot
	if bytes.HasPrefix(head, []byte("{")) {
		b, err := readBounded(file, maxCheckpoint)
		if err != nil {
			return &badInput{fmt.Errorf("-resume %s: %w", file, err)}
		}
		var c jsonCheckpoint
		if err := json.Unmarshal(b, &c); err != nil || c.Magic != checkpointMagic {
			return &badInput{fmt.Errorf("-resume %s: not an evsim checkpoint (damaged or another file)", file)}
		}
		if sum := sha256.Sum256(c.Pending); hex.EncodeToString(sum[:]) != c.SHA256 {
			return &badInput{fmt.Errorf("-resume %s: checksum mismatch: the checkpoint is damaged or was edited", file)}
		}
		if err := json.Unmarshal(c.Pending, &p); err != nil {
			return &badInput{fmt.Errorf("-resume %s: damaged run record: %v", file, err)}
		}
	} else {
		if snap, err = runner.LoadSnapshot(file); err != nil {
			return &badInput{err}
		}
		if snap.Meta.Pending == nil {
			return usagef("-resume %s: the snapshot holds no interrupted run (it is a finished snapshot: use -in)", file)
		}
		if err := json.Unmarshal(snap.Meta.Pending, &p); err != nil {
			return &badInput{fmt.Errorf("-resume %s: damaged run record: %v", file, err)}
		}
	}
	if len(p.Args) == 0 || !isSubcommand(p.Args[0]) {
		return &badInput{fmt.Errorf("-resume %s: the run record names no command", file)}
	}
	for _, s := range p.Done {
		if !slices.Contains(stages, s) {
			return &badInput{fmt.Errorf("-resume %s: the run record lists an unknown stage %q", file, s)}
		}
	}
	if p.Start < 0 || p.SleptMS < 0 {
		return &badInput{fmt.Errorf("-resume %s: the run record has negative progress", file)}
	}
	o, err := parse(p.Args, e.stderr)
	if err != nil {
		return &badInput{fmt.Errorf("-resume %s: the recorded flags no longer parse: %v", file, err)}
	}
	if (o.phase == "sleepsearch" || o.phase == "paper") != (snap == nil) {
		return &badInput{fmt.Errorf("-resume %s: the run record does not match the checkpoint's kind", file)}
	}
	if snap != nil && (p.Start > snap.Meta.ImagesSeen) {
		return &badInput{fmt.Errorf("-resume %s: the run record starts after the network's %d images", file, snap.Meta.ImagesSeen)}
	}
	if len(p.Results) > 0 {
		var r Results
		if err := json.Unmarshal(p.Results, &r); err != nil {
			return &badInput{fmt.Errorf("-resume %s: damaged results record: %v", file, err)}
		}
		if r.Timing == nil {
			r.Timing = map[string]float64{}
		}
		e.res = &r
	}
	o.resume = file
	o.quiet = o.quiet || e.o.quiet
	o.json = o.json || e.o.json
	if e.o.set["workers"] { // this resume only: the checkpoint keeps the run's flags
		o.workers, o.set["workers"] = e.o.workers, true
	}
	e.o, e.snap, e.pend, e.finished, e.resumeFile = o, snap, &p, slices.Clone(p.Done), file
	if !o.quiet {
		fmt.Fprintf(e.stderr, "evsim: resuming evsim %s from %s (done: %v)\n", o.phase, file, p.Done)
	}
	return nil
}

// readHead reads the first n bytes of a regular file.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file")
		}
		return nil, err
	}
	return b[:k], nil
}

// readBounded reads a regular file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes, more than a checkpoint can hold (%d)", fi.Size(), limit)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
