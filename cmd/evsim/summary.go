package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/evsim/evsim/model"
)

// summary prints the results for a person: one aligned line per fact.
func summary(w io.Writer, r *Results, o *options) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, format string, a ...any) { fmt.Fprintf(tw, "  %s\t%s\n", k, fmt.Sprintf(format, a...)) }
	engine := r.Engine.String()
	switch r.Phase {
	case "export":
		fmt.Fprintf(tw, "evsim export: %d neurons\n", r.NExc)
	case "paper", "sleepsearch":
		fmt.Fprintf(tw, "evsim %s: seed %d, %s engine\n", r.Phase, r.Seed, engine)
	default:
		fmt.Fprintf(tw, "evsim %s: %d neurons, seed %d, %s engine\n", r.Phase, r.NExc, r.Seed, engine)
	}
	if t := r.Train; t != nil {
		warm := ""
		if start := t.ImagesSeen - t.Images; t.WarmupImages > 0 && start < t.WarmupImages {
			warm = fmt.Sprintf(" (%d in the inhibition warm-up, ×%g)", min(t.WarmupImages, t.ImagesSeen)-start, t.WarmupInh)
		}
		line("trained", "%d images%s, %.0f images/s; %d images seen in all", t.Images, warm, t.ImagesPerSec, t.ImagesSeen)
		line("thresholds", "mean θ %.2f mV", t.MeanTheta)
		if t.HeldOut > 0 {
			line("held out", "the last %d training images, never trained on", t.HeldOut)
		}
	}
	if s := r.Sleep; s != nil {
		if s.TestBefore != nil {
			line("accuracy before sleep", "%.2f %%  (%d test images)", 100*s.AccuracyBefore, s.TestBefore.N)
		}
		p := s.Params
		over := ""
		if len(s.Overrides) > 0 {
			over = " with " + strings.Join(s.Overrides, ", ")
		}
		rule := ""
		if p.STDP && p.Rule != "" && p.Rule != model.RuleAwake {
			rule = " (" + p.Rule + " rule)"
		}
		tau := ""
		if p.TauTheta > 0 {
			tau = fmt.Sprintf(", τθ %g ms", p.TauTheta)
		}
		line("sleep", "preset %s%s: %g ms, input gain %g, leak ×%g, excitation ×%g, inhibition ×%g, STDP %s%s, threshold rule %s (θ+ ×%g%s)",
			s.Preset, over, p.DurationMS, p.InputGain, p.LeakScale, p.ExcGain, p.InhScale, onOff(p.STDP), rule, onOff(p.Threshold), p.ThetaPlusScale, tau)
		line("firing rates", "%.2f Hz asleep, %.2f Hz awake (mean per excitatory neuron)", s.Stats.MeanRateHz, s.AwakeRateHz)
		line("threshold change", "mean Δθ %+.3f mV (%d rose, %d fell, %d unchanged)", s.Stats.MeanDTheta, s.Stats.ThetaRose, s.Stats.ThetaFell, s.Stats.ThetaSame)
		if r.Test != nil && s.TestBefore != nil {
			line("accuracy after sleep", "%.2f %%  (%+.2f points)", 100*s.AccuracyAfter, 100*(s.AccuracyAfter-s.AccuracyBefore))
		}
	} else if r.Test != nil {
		line("accuracy", "%.2f %%  (%d test images)", 100*r.Test.Accuracy, r.Test.N)
	}
	if c := r.Curve; len(c) > 0 {
		last := c[len(c)-1]
		line("learning curve", "%d points on the validation split, the last %.2f %% after %d images (pass %d)", len(c), 100*last.Accuracy, last.Images, last.Pass)
	}
	if l := r.Label; l != nil {
		line("labels", "from %d training images; %d neurons unassigned", l.Images, l.Unassigned)
	}
	if p := r.Paper; p != nil {
		held := 0
		for _, c := range p.Claims {
			if c.Reproduced {
				held++
			}
		}
		line("claims", "%d of %d reproduced (report.md lists each with its numbers)", held, len(p.Claims))
	}
	if sl := r.Slurm; sl != nil && r.Phase == "sleepsearch" {
		if sl.Submitted {
			line("submitted", "%d units, then the merge (merge job %s)", sl.Units, sl.ReportJob)
			for _, j := range sl.Jobs {
				line("", "%s", j)
			}
			line("next", "squeue -j %s shows the merge pending; when it is gone, read %s", sl.ReportJob, filepath.Join(sl.Logs, "merge.log"))
		} else {
			line("not submitted", "%d units, then the merge: submit with sh %s", sl.Units, sl.Submit)
		}
		line("scripts", "%s, %s", sl.Submit, sl.Script)
		line("logs", "%s (one per task)", sl.Logs)
	} else if sl != nil {
		if sl.Submitted {
			line("submitted", "%d training chains, %d cells, then the report (report job %s)", sl.Chains, sl.Cells, sl.ReportJob)
			for _, j := range sl.Jobs {
				line("", "%s", j)
			}
			line("next", "squeue -j %s shows the report pending; when it is gone, read %s", sl.ReportJob, filepath.Join(r.Out, "report.md"))
		} else {
			line("not submitted", "%d training chains, %d cells, then the report: submit with sh %s", sl.Chains, sl.Cells, sl.Submit)
		}
		line("scripts", "%s, %s", sl.Submit, sl.Script)
		line("logs", "%s (one per task)", sl.Logs)
	}
	if len(r.Search) > 0 {
		line("grid points", "%d, best first (validation gain in points):", len(r.Search))
		for k, row := range r.Search {
			if k == 5 {
				line("", "... (the full table is in the JSON results: -json or -results)")
				break
			}
			if row.Error != "" {
				line("", "gain %g leak %g exc %g inh %g %g ms: %s", row.Gain, row.Leak, row.Exc, row.Inh, row.DurationMS, row.Error)
				continue
			}
			line("", "gain %g leak %g exc %g inh %g %g ms: %+.2f ± %.2f", row.Gain, row.Leak, row.Exc, row.Inh, row.DurationMS, 100*row.MeanGain, 100*row.SDGain)
		}
	}
	var secs float64
	keys := make([]string, 0, len(r.Timing))
	for k, v := range r.Timing {
		secs += v
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 0 {
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %.1f", k, r.Timing[k]))
		}
		line("time", "%.1f s (%s)", secs, strings.Join(parts, ", "))
	}
	var files []string
	if r.Out != "" {
		files = append(files, r.Out)
		if len(r.Curve) > 0 {
			files = append(files, r.Out+".curve.csv", r.Out+".curve.png")
		}
	}
	if o.results != "" && r.Slurm == nil {
		files = append(files, o.results+" (JSON results)")
	}
	if o.results != "" && r.Slurm != nil {
		line("results", "%s is written by the last job, when the run is done", o.results)
	}
	if len(files) > 0 {
		line("wrote", "%s", strings.Join(files, ", "))
	}
	return tw.Flush()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
