package experiment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/evsim/evsim/runner"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/mnist"
)

// PaperConfig is the experiment that reproduces Tadros, Krishnan & Bazhenov 2019 figure by
// figure. Every stage writes its product into Dir. A product already in Dir is reused only
// when it was computed with the same settings and is intact: each awake snapshot has a key
// file beside it (awake-L.snap.json: the snapshot's settings and the SHA-256 of the
// snapshot), each cell records its settings, their hash and a checksum of its content.
// Anything else is recomputed, and Log says why. An interrupted run keeps every finished
// snapshot and cell, and a training level cut short is saved as a checkpoint
// (awake-partial.snap) from which the same settings continue bit-identically, so a rerun
// completes to the same files as an uninterrupted run.
type PaperConfig struct {
	// Command is the command line that asked for the report, recorded in it (not part of
	// any key: it does not change a result).
	Command []string
	Dir     string
	NExc    int
	Seeds   []uint64
	Levels  []int // training images at which the network is snapshotted, slept and tested
	Label   int   // training images used to assign labels (before and after sleep)
	Test    int   // test images per accuracy
	Distort int   // test images per distortion level (Fig. 4)
	Noise   []float64
	Blur    []float64
	Focus   int // the level of Fig. 4, 5B-D and the ablations (the paper's 1,000 images)
	Engine  runner.EngineSpec
	// The inhibition warm-up of new networks (model.Regime.WarmupImages and WarmupInh).
	WarmupImages int
	WarmupInh    float64
	Sleep        runner.SleepConfig // Changes, InputGain, DurationMS; Mean and Seed are filled in
	// Replay, if not nil, is a second sleep reported beside Sleep at the focus level: the
	// paper's STDP-only sleep with the sleep replay rule (runner.ReplaySleep with validated
	// parameters). Theta, if not nil, is a sleep whose threshold changes are reported at
	// the focus level (Fig. 5B-D: a sleep in which thresholds can fall). Nil: no such rows,
	// and the cells are those of a run without them.
	Replay  *runner.SleepConfig
	Theta   *runner.SleepConfig
	Workers int
	Train   *mnist.Set
	TestSet *mnist.Set
	// Log, if not nil, receives one line per stage, and one per product in Dir that is not
	// reused, saying why.
	Log func(format string, a ...any)
	// TrainProgress, if not nil, is called after each training image with the seed and the
	// number of images its network has now seen.
	TrainProgress func(seed uint64, imagesSeen int)
	// Reuse, if not nil, is called once per awake snapshot and per cell with its file,
	// whether it was taken from Dir and, if not, why ("" for a product not yet computed).
	Reuse func(file string, reused bool, why string)
	// Paper calls Log, TrainProgress and Reuse from one goroutine at a time.
}

// DefaultPaper is the paper's design: 400 neurons, 5 initializations, training levels from
// 1,000 to 60,000 images, the distortion levels of the authors' own code, the validated
// sleep, and at the focus level the replay sleep (runner.ReplaySleep) and the decay sleep
// (runner.DecaySleep) beside it.
func DefaultPaper() PaperConfig {
	awake := model.Awake()
	return PaperConfig{
		NExc:         400,
		WarmupImages: awake.WarmupImages,
		WarmupInh:    awake.WarmupInh,
		Seeds:        []uint64{1, 2, 3, 4, 5},
		Levels:       []int{1000, 2000, 5000, 10000, 20000, 40000, 60000},
		Label:        5000,
		Test:         5000,
		Distort:      1000,
		Noise:        []float64{0, 0.1, 0.3, 0.5, 0.7, 0.9},
		Blur:         []float64{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4},
		Focus:        1000,
		Engine:       runner.EngineSpec{Kind: "event"},
		Sleep:        runner.ValidatedSleep(),
		Replay:       ptr(runner.ReplaySleep()),
		Theta:        ptr(runner.DecaySleep()),
	}
}

func ptr[T any](v T) *T { return &v }

// Cell is the outcome for one seed at one training level.
type Cell struct {
	// Config is everything the cell's numbers depend on, ConfigHash its SHA-256, and
	// Checksum the SHA-256 of the cell's JSON with Checksum empty. A resumed run reuses a
	// cell file only when its ConfigHash is that of the run's settings and its Checksum
	// matches its content.
	Config      CellConfig        `json:"config"`
	ConfigHash  string            `json:"config_sha256"`
	Checksum    string            `json:"content_sha256"`
	Seed        uint64            `json:"seed"`
	Level       int               `json:"level"`
	Awake       float64           `json:"awake_accuracy"`
	Slept       float64           `json:"slept_accuracy"`
	Sleep       runner.SleepStats `json:"sleep"`
	ThetaChange []float64         `json:"theta_change,omitempty"` // per neuron, at the focus level
	RFVariance  []float64         `json:"rf_variance,omitempty"`  // per neuron, awake receptive field
	NoiseAwake  []float64         `json:"noise_awake,omitempty"`  // accuracy per noise level (focus)
	NoiseSlept  []float64         `json:"noise_slept,omitempty"`
	BlurAwake   []float64         `json:"blur_awake,omitempty"`
	BlurSlept   []float64         `json:"blur_slept,omitempty"`
	Ablation    *Ablation         `json:"ablation,omitempty"` // focus level
	Replay      *Arm              `json:"replay,omitempty"`   // focus level, with PaperConfig.Replay
	Theta       *Arm              `json:"theta,omitempty"`    // focus level, with PaperConfig.Theta
	// Seconds is the wall time this run took for the cell, waits for a free core included
	// (0 when it was reused). It is not written, so that a resumed run writes the same
	// bytes as an uninterrupted one.
	Seconds float64 `json:"-"`
}

// CellConfig is everything a cell depends on.
type CellConfig struct {
	Program  string            `json:"program"` // module version and VCS revision of the code
	NExc     int               `json:"n_exc"`
	Seed     uint64            `json:"seed"`
	Level    int               `json:"level"`
	Regime   model.Regime      `json:"regime"` // the training regime, with its warm-up
	Engine   runner.EngineSpec `json:"engine"`
	TrainSet string            `json:"train_set_sha256"`
	TestSet  string            `json:"test_set_sha256"`
	Awake    string            `json:"awake_snapshot_sha256"`
	Label    int               `json:"label_images"`
	Test     int               `json:"test_images"`
	Sleep    SleepSettings     `json:"sleep"`
	// Focus cells also hold the distortions and ablations; the others leave these zero.
	Focus   bool      `json:"focus"`
	Distort int       `json:"distort_images,omitempty"`
	Noise   []float64 `json:"noise,omitempty"`
	Blur    []float64 `json:"blur,omitempty"`
	// The extra sleeps of focus cells (PaperConfig.Replay and Theta), if any.
	Replay *SleepSettings `json:"replay_sleep,omitempty"`
	Theta  *SleepSettings `json:"theta_sleep,omitempty"`
}

// Arm is one extra sleep of a focus cell, from the awake network: the test accuracy after
// it (labels reassigned), its statistics, and per neuron the change of threshold and of
// total input weight.
type Arm struct {
	Accuracy     float64           `json:"accuracy"`
	Sleep        runner.SleepStats `json:"sleep"`
	ThetaChange  []float64         `json:"theta_change"`
	WeightChange []float64         `json:"weight_change"` // Σ_i w_ij after - before
}

// SleepSettings are the parts of runner.SleepConfig a cell's sleep is configured by.
type SleepSettings struct {
	Changes    model.SleepChanges `json:"changes"`
	InputGain  float64            `json:"input_gain"`
	DurationMS float64            `json:"duration_ms"`
}

// Ablation is the paper's 2x2 of weights x thresholds before/after sleep, plus sleep with
// reduced inhibition and frozen thresholds (STDP only).
type Ablation struct {
	WBeforeThBefore float64 `json:"w_before_th_before"`
	WBeforeThAfter  float64 `json:"w_before_th_after"`
	WAfterThBefore  float64 `json:"w_after_th_before"`
	WAfterThAfter   float64 `json:"w_after_th_after"`
	STDPOnly        float64 `json:"stdp_only_low_inhibition"`
}

// awakeKey is everything an awake snapshot depends on.
type awakeKey struct {
	Program  string            `json:"program"`
	NExc     int               `json:"n_exc"`
	Seed     uint64            `json:"seed"`
	Images   int               `json:"images_seen"`
	Regime   model.Regime      `json:"regime"`
	Engine   runner.EngineSpec `json:"engine"`
	TrainSet string            `json:"train_set_sha256"`
}

// keyFile is the file beside an awake snapshot that says what it was computed with.
type keyFile struct {
	Key      awakeKey `json:"key"`
	KeyHash  string   `json:"key_sha256"`
	Snapshot string   `json:"snapshot_sha256"`
}

// Validate reports the first setting that cannot run, naming its field.
func (cfg *PaperConfig) Validate() error {
	bad := func(format string, a ...any) error { return fmt.Errorf("experiment: PaperConfig."+format, a...) }
	switch {
	case cfg.Dir == "":
		return bad("Dir is empty")
	case cfg.NExc <= 0:
		return bad("NExc = %d, want > 0", cfg.NExc)
	case len(cfg.Seeds) == 0:
		return bad("Seeds is empty")
	case len(cfg.Levels) == 0:
		return bad("Levels is empty")
	case cfg.Train == nil || cfg.Train.Len() == 0:
		return bad("Train holds no images")
	case cfg.TestSet == nil || cfg.TestSet.Len() == 0:
		return bad("TestSet holds no images")
	case cfg.Label <= 0 || cfg.Label > cfg.Train.Len():
		return bad("Label = %d, want 1 to the %d images of Train", cfg.Label, cfg.Train.Len())
	case cfg.Test <= 0 || cfg.Test > cfg.TestSet.Len():
		return bad("Test = %d, want 1 to the %d images of TestSet", cfg.Test, cfg.TestSet.Len())
	case !(cfg.Sleep.DurationMS > 0):
		return bad("Sleep.DurationMS = %g, want > 0", cfg.Sleep.DurationMS)
	case cfg.Replay != nil && !(cfg.Replay.DurationMS > 0):
		return bad("Replay.DurationMS = %g, want > 0", cfg.Replay.DurationMS)
	case cfg.Theta != nil && !(cfg.Theta.DurationMS > 0):
		return bad("Theta.DurationMS = %g, want > 0", cfg.Theta.DurationMS)
	case cfg.WarmupImages < 0:
		return bad("WarmupImages = %d, want >= 0", cfg.WarmupImages)
	}
	for k, s := range cfg.Seeds {
		if slices.Contains(cfg.Seeds[:k], s) {
			return bad("Seeds lists seed %d twice", s)
		}
	}
	for k, l := range cfg.Levels {
		if l <= 0 || k > 0 && l <= cfg.Levels[k-1] {
			return bad("Levels = %v, want increasing positive image counts", cfg.Levels)
		}
	}
	if slices.Contains(cfg.Levels, cfg.Focus) && (cfg.Distort <= 0 || cfg.Distort > cfg.TestSet.Len()) {
		return bad("Distort = %d, want 1 to the %d images of TestSet", cfg.Distort, cfg.TestSet.Len())
	}
	if _, err := cfg.Engine.New(runner.NewNetwork(1, 1, 1), model.AwakeN(1)); err != nil {
		return fmt.Errorf("experiment: PaperConfig.Engine: %w", err)
	}
	return nil
}

// paperRun is one call of Paper: the configuration, the values every key shares, and the
// callbacks, serialized.
type paperRun struct {
	cfg               *PaperConfig
	program           string
	trainSum, testSum string
	mu                sync.Mutex
	// slots, if not nil, is shared by the jobs of a Paper run: one per core (see Paper).
	slots runner.Slots
}

func (p *paperRun) logf(format string, a ...any) {
	if p.cfg.Log != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.cfg.Log(format, a...)
	}
}

func (p *paperRun) reuse(file string, reused bool, why string) {
	if !reused && why != "" {
		p.logf("%s is recomputed: %s", p.rel(file), why)
	}
	if p.cfg.Reuse != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.cfg.Reuse(file, reused, why)
	}
}

func (p *paperRun) progress(seed uint64, seen int) {
	if p.cfg.TrainProgress != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.cfg.TrainProgress(seed, seen)
	}
}

func (p *paperRun) rel(file string) string {
	if r, err := filepath.Rel(p.cfg.Dir, file); err == nil {
		return r
	}
	return file
}

// Program names the code that computes a result: module version and VCS revision (a
// result computed by other code is not reused).
func Program() string {
	pv := runner.CurrentProvenance(nil)
	s := pv.Version
	if pv.Revision != "" {
		s += " " + pv.Revision
	}
	if pv.Modified {
		s += " (modified)"
	}
	if pv.Binary != "" {
		// No clean revision (go run, go test, a modified tree): the executable tells builds apart.
		s += " binary " + pv.Binary[:16]
	}
	return s
}

// setSum is the SHA-256 of a set's images and labels.
func setSum(s *mnist.Set) string {
	h := sha256.New()
	h.Write(s.Pixels)
	h.Write(s.Labels)
	return hex.EncodeToString(h.Sum(nil))
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// hashJSON is the SHA-256 of v's JSON.
func hashJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("experiment: hashing settings: %w", err)
	}
	return sum(b), nil
}

// Paper runs (or resumes) the whole experiment and returns one Cell per seed and level.
//
// The work is scheduled on W slots (Workers, or GOMAXPROCS when 0), one core each: every
// seed's chain trains its levels one after another, each level holding a slot, and a cell
// is started as soon as its awake snapshot is saved. A cell's labelling and testing take a
// slot per image, and each sleep takes one, so the cells, the chains and the images of
// one cell share the cores, none idle while work is left. Focus cells, the longest, go
// first. At most W chains and 3 cells are in progress at once, which bounds the memory.
// Nothing computed depends on the schedule: the products are those of the chain and cell
// tasks run one by one.
func Paper(ctx context.Context, cfg PaperConfig) ([]Cell, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("experiment: results folder: %w", err)
	}
	w := cfg.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	p := &paperRun{cfg: &cfg, program: Program(), trainSum: setSum(cfg.Train), testSum: setSum(cfg.TestSet), slots: make(runner.Slots, w)}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	fail := func(err error) {
		if err != nil {
			cancel(err)
		}
	}

	// The cells whose awake snapshot is ready, waiting for a runner.
	type job struct{ k, level int }
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		queue   []job
		chains  = len(cfg.Seeds) // still training
		results = make([]Cell, len(cfg.Seeds)*len(cfg.Levels))
	)
	next := func() (job, bool) {
		mu.Lock()
		defer mu.Unlock()
		for len(queue) == 0 && chains > 0 && ctx.Err() == nil {
			cond.Wait()
		}
		if len(queue) == 0 || ctx.Err() != nil {
			return job{}, false
		}
		i := slices.IndexFunc(queue, func(j job) bool { return j.level == cfg.Focus })
		i = max(i, 0)
		j := queue[i]
		queue = slices.Delete(queue, i, i+1)
		return j, true
	}
	stop := context.AfterFunc(ctx, func() { mu.Lock(); cond.Broadcast(); mu.Unlock() })
	defer stop()

	var wg sync.WaitGroup
	// At most w chains at once, each holding its network between levels (memory bounded by
	// the cores, not the seeds); cells fill the slots that the chains leave.
	chainSlots := make(runner.Slots, w)
	for k, seed := range cfg.Seeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				chains--
				cond.Broadcast()
				mu.Unlock()
			}()
			if chainSlots.Take(ctx) != nil {
				return
			}
			defer chainSlots.Give()
			fail(p.trainLevels(ctx, seed, func(level int) {
				mu.Lock()
				queue = append(queue, job{k, level})
				cond.Signal()
				mu.Unlock()
			}))
		}()
	}
	// Up to 3 cells at once: one can sleep (one slot) while the others label and test on
	// the rest; each cell's labelling copies the network once per worker (W workers).
	for range min(w, 3) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := next()
				if !ok {
					return
				}
				c, err := p.cell(ctx, cfg.Seeds[j.k], j.level)
				if err != nil {
					fail(err)
					return
				}
				results[j.k*len(cfg.Levels)+slices.Index(cfg.Levels, j.level)] = c
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

func (cfg *PaperConfig) path(seed uint64, name string) string {
	return filepath.Join(cfg.Dir, fmt.Sprintf("seed%d", seed), name)
}

func awakeName(level int) string { return fmt.Sprintf("awake-%d.snap", level) }

const partialName = "awake-partial.snap"

// key is the awake snapshot's settings after images training images.
func (p *paperRun) key(seed uint64, images int) awakeKey {
	return awakeKey{Program: p.program, NExc: p.cfg.NExc, Seed: seed, Images: images, Regime: p.cfg.regime(), Engine: p.cfg.Engine, TrainSet: p.trainSum}
}

func (cfg *PaperConfig) regime() model.Regime {
	r := model.AwakeN(cfg.NExc)
	r.WarmupImages, r.WarmupInh = cfg.WarmupImages, cfg.WarmupInh
	return r
}

// checkAwake says whether the snapshot at path, after images training images, is
// reusable: its key file names these settings and its checksum. It returns the snapshot's
// SHA-256, or why it cannot be reused ("" when there is no snapshot).
func (p *paperRun) checkAwake(path string, seed uint64, images int) (snapSum, why string) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", ""
		}
		return "", err.Error()
	}
	kb, err := os.ReadFile(path + ".json")
	if err != nil {
		return "", "no readable key file beside it (" + err.Error() + ")"
	}
	var kf keyFile
	if err := json.Unmarshal(kb, &kf); err != nil {
		return "", "key file: " + err.Error()
	}
	want := p.key(seed, images)
	wantHash, err := hashJSON(want)
	if err != nil {
		return "", err.Error()
	}
	if kf.KeyHash != wantHash {
		return "", "computed with other settings (" + diffKeys(kf.Key, want) + ")"
	}
	if s := sum(data); s != kf.Snapshot {
		return "", "its content does not match the checksum in its key file (edited or damaged)"
	}
	if _, err := runner.DecodeSnapshot(data); err != nil {
		return "", err.Error()
	}
	return kf.Snapshot, ""
}

// saveAwake writes the snapshot and then its key file.
func (p *paperRun) saveAwake(path string, snap *runner.Snapshot) error {
	var b bytes.Buffer
	if err := snap.Encode(&b); err != nil {
		return err
	}
	if err := snap.Save(path); err != nil {
		return err
	}
	k := p.key(snap.Meta.Seed, snap.Meta.ImagesSeen)
	kh, err := hashJSON(k)
	if err != nil {
		return err
	}
	kb, err := json.MarshalIndent(keyFile{Key: k, KeyHash: kh, Snapshot: sum(b.Bytes())}, "", "  ")
	if err != nil {
		return fmt.Errorf("experiment: key file of %s: %w", path, err)
	}
	return analysis.WriteFileAtomic(path+".json", kb)
}

// diffKeys names the top-level JSON fields in which two settings differ.
func diffKeys(had, want any) string {
	var a, b map[string]json.RawMessage
	ab, err1 := json.Marshal(had)
	bb, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil || json.Unmarshal(ab, &a) != nil || json.Unmarshal(bb, &b) != nil {
		return "unreadable settings"
	}
	var out []string
	for k, v := range b {
		if !bytes.Equal(a[k], v) {
			out = append(out, fmt.Sprintf("%s %s, now %s", k, abbrev(a[k]), abbrev(v)))
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k+" no longer recorded")
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "the settings hash does not match"
	}
	return strings.Join(out, "; ")
}

func abbrev(b []byte) string {
	if b == nil {
		return "absent"
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

// trainLevels trains one seed's network through the levels, snapshotting at each (or
// reusing the snapshots in Dir), and calls ready, if not nil, with each level whose
// snapshot is in Dir. An interruption inside a level saves the network as the seed's
// partial checkpoint.
func (p *paperRun) trainLevels(ctx context.Context, seed uint64, ready func(level int)) error {
	cfg := p.cfg
	if err := os.MkdirAll(filepath.Dir(cfg.path(seed, "x")), 0o755); err != nil {
		return err
	}
	var snap *runner.Snapshot // the network in memory, nil when it must be loaded
	for _, level := range cfg.Levels {
		path := cfg.path(seed, awakeName(level))
		if s, why := p.checkAwake(path, seed, level); s != "" {
			p.reuse(path, true, "")
			snap = nil // loaded lazily if a later level needs training
			if ready != nil {
				ready(level)
			}
			continue
		} else {
			p.reuse(path, false, why)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if snap == nil {
			var err error
			if snap, err = p.start(seed, level); err != nil {
				return err
			}
		}
		if err := p.slots.Take(ctx); err != nil {
			return err
		}
		t0 := time.Now()
		start := snap.Meta.ImagesSeen
		st, err := runner.Train(ctx, snap.Net, runner.TrainConfig{Set: cfg.Train, Start: start, Count: level - start, Seed: seed, Engine: cfg.Engine, Regime: snap.Meta.Regime,
			Progress: func(done int) { p.progress(seed, start+done) }})
		p.slots.Give()
		snap.Meta.ImagesSeen = start + st.Images
		if err != nil {
			if ctx.Err() != nil && st.Images > 0 {
				// Train stops between images, so the network is exactly the one after
				// ImagesSeen images: continuing from it is bit-identical.
				if perr := p.saveAwake(cfg.path(seed, partialName), snap); perr != nil {
					return errors.Join(err, perr)
				}
				p.logf("seed %d: interrupted at %d images; checkpoint saved", seed, snap.Meta.ImagesSeen)
			}
			return err
		}
		if err := p.saveAwake(path, snap); err != nil {
			return err
		}
		p.logf("seed %d: trained to %d images (%.0f s)", seed, level, time.Since(t0).Seconds())
		if ready != nil {
			ready(level)
		}
	}
	// The partial checkpoint is spent once every level past it is saved.
	partial := cfg.path(seed, partialName)
	if kb, err := os.ReadFile(partial + ".json"); err == nil {
		var kf keyFile
		if json.Unmarshal(kb, &kf) != nil || kf.Key.Images < cfg.Levels[len(cfg.Levels)-1] {
			os.Remove(partial)
			os.Remove(partial + ".json")
		}
	}
	return nil
}

// start is the network from which level is trained: the furthest valid snapshot (a lower
// level or the partial checkpoint) before it, or a new network.
func (p *paperRun) start(seed uint64, level int) (*runner.Snapshot, error) {
	cfg := p.cfg
	best, bestImages := "", 0
	for _, l := range cfg.Levels {
		if l >= level {
			break
		}
		if path := cfg.path(seed, awakeName(l)); l > bestImages {
			if s, _ := p.checkAwake(path, seed, l); s != "" {
				best, bestImages = path, l
			}
		}
	}
	partial := cfg.path(seed, partialName)
	if kb, err := os.ReadFile(partial + ".json"); err == nil {
		var kf keyFile
		if json.Unmarshal(kb, &kf) == nil && kf.Key.Images > bestImages && kf.Key.Images < level {
			if s, why := p.checkAwake(partial, seed, kf.Key.Images); s != "" {
				best, bestImages = partial, kf.Key.Images
			} else {
				p.logf("seed %d: checkpoint %s not used: %s", seed, p.rel(partial), why)
			}
		}
	}
	if best == "" {
		return &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: cfg.NExc, Seed: seed, Regime: cfg.regime(), Engine: cfg.Engine}, Net: runner.NewNetwork(mnist.Pixels, cfg.NExc, seed)}, nil
	}
	p.logf("seed %d: continuing from %s (%d images)", seed, p.rel(best), bestImages)
	return runner.LoadSnapshot(best)
}

// cellConfig is the settings of the cell for seed and level over the awake snapshot with
// SHA-256 awake.
func (p *paperRun) cellConfig(seed uint64, level int, awake string) CellConfig {
	cfg := p.cfg
	c := CellConfig{Program: p.program, NExc: cfg.NExc, Seed: seed, Level: level, Regime: cfg.regime(), Engine: cfg.Engine,
		TrainSet: p.trainSum, TestSet: p.testSum, Awake: awake, Label: cfg.Label, Test: cfg.Test,
		Sleep: SleepSettings{Changes: cfg.Sleep.Changes, InputGain: cfg.Sleep.InputGain, DurationMS: cfg.Sleep.DurationMS}}
	if level == cfg.Focus {
		c.Focus, c.Distort, c.Noise, c.Blur = true, cfg.Distort, cfg.Noise, cfg.Blur
		settings := func(sc *runner.SleepConfig) *SleepSettings {
			if sc == nil {
				return nil
			}
			return &SleepSettings{Changes: sc.Changes, InputGain: sc.InputGain, DurationMS: sc.DurationMS}
		}
		c.Replay, c.Theta = settings(cfg.Replay), settings(cfg.Theta)
	}
	return c
}

// checksum is the SHA-256 of c's JSON with Checksum empty.
func (c Cell) checksum() (string, error) {
	c.Checksum = ""
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("experiment: cell seed %d level %d: %w", c.Seed, c.Level, err)
	}
	return sum(b), nil
}

// loadCell reads the cell at path and says why it cannot be reused for settings want
// (hash wantHash), or "" if it can.
func loadCell(path string, want CellConfig, wantHash string) (Cell, string) {
	var c Cell
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return c, ""
		}
		return c, err.Error()
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, "unreadable: " + err.Error()
	}
	if c.ConfigHash != wantHash {
		return c, "computed with other settings (" + diffKeys(c.Config, want) + ")"
	}
	if s, err := c.checksum(); err != nil || s != c.Checksum {
		return c, "its content does not match its checksum (edited or damaged)"
	}
	if h, err := hashJSON(c.Config); err != nil || h != c.ConfigHash || c.Seed != want.Seed || c.Level != want.Level {
		return c, "its settings do not match their hash (edited or damaged)"
	}
	return c, "ok"
}

// cell computes (or loads) one seed x level result.
func (p *paperRun) cell(ctx context.Context, seed uint64, level int) (Cell, error) {
	cfg := p.cfg
	out := cfg.path(seed, fmt.Sprintf("cell-%d.json", level))
	awakePath := cfg.path(seed, awakeName(level))
	data, err := os.ReadFile(awakePath)
	if err != nil {
		return Cell{}, fmt.Errorf("experiment: %w", err)
	}
	config := p.cellConfig(seed, level, sum(data))
	hash, err := hashJSON(config)
	if err != nil {
		return Cell{}, err
	}
	c, why := loadCell(out, config, hash)
	if why == "ok" {
		p.reuse(out, true, "")
		return c, nil
	}
	p.reuse(out, false, why)
	if err := ctx.Err(); err != nil {
		return Cell{}, err
	}
	t0 := time.Now()
	c = Cell{Config: config, ConfigHash: hash, Seed: seed, Level: level}
	awake, err := runner.DecodeSnapshot(data)
	if err != nil {
		return c, fmt.Errorf("experiment: %s: %w", awakePath, err)
	}
	ev := runner.Evaluator{Engine: cfg.Engine, Seed: seed, Workers: cfg.Workers, Slots: p.slots}
	r := awake.Meta.Regime
	label := func(net *model.Network) ([]int, error) { return ev.Label(ctx, net, r, cfg.Train, cfg.Label) }
	test := func(net *model.Network, labels []int, set *mnist.Set, n int) (float64, error) {
		sc, err := ev.Score(ctx, net, r, labels, set, n)
		return sc.Accuracy, err
	}
	sleep := func(net *model.Network, sc runner.SleepConfig) (runner.SleepStats, error) {
		sc.Mean = runner.MeanImage(cfg.Train, level)
		sc.Seed, sc.Engine, sc.Awake = seed, cfg.Engine, awake.Meta.Regime
		if err := p.slots.Take(ctx); err != nil {
			return runner.SleepStats{}, err
		}
		defer p.slots.Give()
		return runner.Sleep(ctx, net, sc)
	}
	awakeLabels, err := label(awake.Net)
	if err != nil {
		return c, err
	}
	if c.Awake, err = test(awake.Net, awakeLabels, cfg.TestSet, cfg.Test); err != nil {
		return c, err
	}
	slept := awake.Net.Clone()
	if c.Sleep, err = sleep(slept, cfg.Sleep); err != nil {
		return c, err
	}
	sleptLabels, err := label(slept)
	if err != nil {
		return c, err
	}
	if c.Slept, err = test(slept, sleptLabels, cfg.TestSet, cfg.Test); err != nil {
		return c, err
	}
	p.logf("seed %d, %d images: awake %.3f, after sleep %.3f", seed, level, c.Awake, c.Slept)

	if level == cfg.Focus {
		n := awake.Net
		rf := make([]float64, n.NIn)
		for j := range n.NExc {
			c.ThetaChange = append(c.ThetaChange, slept.Theta[j]-n.Theta[j])
			rf = analysis.ReceptiveField(rf, n.W, n.NIn, n.NExc, j)
			c.RFVariance = append(c.RFVariance, analysis.NeighbourhoodVariance(normalized(rf), mnist.Width, mnist.Height))
		}
		// Fig. 4: distorted test images.
		img := make([]uint8, mnist.Pixels)
		for _, d := range []struct {
			levels    []float64
			awake, sl *[]float64
			distort   func(dst, src []uint8, v float64, rng *rand.Rand)
		}{
			{cfg.Noise, &c.NoiseAwake, &c.NoiseSlept, func(dst, src []uint8, v float64, rng *rand.Rand) { analysis.GaussianNoise(dst, src, v, rng) }},
			{cfg.Blur, &c.BlurAwake, &c.BlurSlept, func(dst, src []uint8, v float64, _ *rand.Rand) {
				analysis.GaussianBlur(dst, src, mnist.Width, mnist.Height, v)
			}},
		} {
			for li, v := range d.levels {
				set := &mnist.Set{Pixels: make([]uint8, cfg.Distort*mnist.Pixels), Labels: cfg.TestSet.Labels[:cfg.Distort]}
				rng := rand.New(rand.NewPCG(seed, uint64(1000+li)))
				for k := range cfg.Distort {
					d.distort(img, cfg.TestSet.Image(k), v, rng)
					copy(set.Pixels[k*mnist.Pixels:], img)
				}
				a, err := test(awake.Net, awakeLabels, set, cfg.Distort)
				if err != nil {
					return c, err
				}
				s, err := test(slept, sleptLabels, set, cfg.Distort)
				if err != nil {
					return c, err
				}
				*d.awake = append(*d.awake, a)
				*d.sl = append(*d.sl, s)
			}
		}
		// Ablations.
		ab := &Ablation{WBeforeThBefore: c.Awake, WAfterThAfter: c.Slept}
		mix := func(w, th *model.Network) (float64, error) {
			m := w.Clone()
			copy(m.Theta, th.Theta)
			labels, err := label(m)
			if err != nil {
				return 0, err
			}
			return test(m, labels, cfg.TestSet, cfg.Test)
		}
		if ab.WBeforeThAfter, err = mix(awake.Net, slept); err != nil {
			return c, err
		}
		if ab.WAfterThBefore, err = mix(slept, awake.Net); err != nil {
			return c, err
		}
		// The paper's last ablation: STDP on, thresholds frozen, inhibition halved.
		stdp := awake.Net.Clone()
		sc := cfg.Sleep
		sc.Changes.STDP, sc.Changes.Threshold = true, false
		sc.Changes.InhScale = cfg.Sleep.Changes.InhScale / 2
		if _, err := sleep(stdp, sc); err != nil {
			return c, err
		}
		labels, err := label(stdp)
		if err != nil {
			return c, err
		}
		if ab.STDPOnly, err = test(stdp, labels, cfg.TestSet, cfg.Test); err != nil {
			return c, err
		}
		c.Ablation = ab
		// The extra sleeps, each from the awake network.
		for _, x := range []struct {
			sc  *runner.SleepConfig
			arm **Arm
		}{{cfg.Replay, &c.Replay}, {cfg.Theta, &c.Theta}} {
			if x.sc == nil {
				continue
			}
			net := awake.Net.Clone()
			a := &Arm{}
			if a.Sleep, err = sleep(net, *x.sc); err != nil {
				return c, err
			}
			labels, err := label(net)
			if err != nil {
				return c, err
			}
			if a.Accuracy, err = test(net, labels, cfg.TestSet, cfg.Test); err != nil {
				return c, err
			}
			a.ThetaChange, a.WeightChange = changes(awake.Net, net)
			*x.arm = a
		}
	}
	if c.Checksum, err = c.checksum(); err != nil {
		return c, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return c, fmt.Errorf("experiment: cell seed %d level %d: %w", seed, level, err)
	}
	if err := analysis.WriteFileAtomic(out, b); err != nil {
		return c, err
	}
	c.Seconds = time.Since(t0).Seconds()
	return c, nil
}

// changes returns, per neuron, the change from a to b of its threshold and of the sum of
// its input weights.
func changes(a, b *model.Network) (theta, weight []float64) {
	theta = make([]float64, a.NExc)
	weight = make([]float64, a.NExc)
	for j := range a.NExc {
		theta[j] = b.Theta[j] - a.Theta[j]
	}
	for k := range a.W {
		weight[k%a.NExc] += float64(b.W[k]) - float64(a.W[k])
	}
	return theta, weight
}

// normalized scales a receptive field to [0, 1] by its maximum (a copy).
func normalized(rf []float64) []float64 {
	m := 0.0
	for _, v := range rf {
		m = max(m, v)
	}
	out := make([]float64, len(rf))
	if m > 0 {
		for i, v := range rf {
			out[i] = v / m
		}
	}
	return out
}
