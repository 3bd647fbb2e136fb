// Package event is the event-driven engine: it simulates a model.Network by propagating
// only actual spikes, with exact (closed-form) dynamics between events and exactly
// predicted threshold crossings.
//
// Events and their order at equal times (queue.Kind order):
//
//	KindCrossing  predicted excitatory threshold crossing (stale if its version is old)
//	KindInhSpike  predicted inhibitory threshold crossing (stale if its version is old)
//	KindRefEnd    an excitatory neuron leaves its refractory period
//	KindInput     an input spike: merged from the trial's pre-sorted stream, never queued
//	KindEnd       end of the trial
//
// How an input spike reaches the excitatory population. Each neuron's state is kept in a
// scaled basis relative to a frame time tf,
//
//	u(t) = A·e^{-(t-tf)/τm} - κ·C·e^{-(t-tf)/τs},   I(t) = C·e^{-(t-tf)/τs},
//
// so an input of weight w at time t adds w·α to A and w·β to C, with α = J·κ·e^{(t-tf)/τm}
// and β = J·e^{(t-tf)/τs} computed once per event: the per-synapse work is two
// multiply-adds over a contiguous weight row, with no exponential and no branch. The frame
// moves forward (O(N)) before the factors grow large.
//
// Which neurons are examined. After an examination at time t a neuron's future membrane
// is bounded by B = max(u,0) + max(I,0)·P (P is the peak of the unit PSP), and each later
// input of weight w raises that bound by at most P·J·max(w, 0); time and inhibition only
// lower it.
// So a neuron with threshold gap G cannot fire before input weight (G-B)/(P·J) has
// arrived: its budget, kept as an integer count of 2^-24 weight units (rounded down; each
// input uses up its weight rounded up), so that the bookkeeping is exact and never late.
// The fan-out kernel subtracts every input's weights from the
// budgets in the same pass that updates A and C, and marks the neurons whose budget went
// negative; only those are examined again (about one neuron per input spike at 400
// neurons, against 6.6 with the input-count calendar this replaced). A neuron whose bound
// reaches threshold is "hot": its exact first crossing before the next input is predicted
// (model.Kernel.Crossing) and queued with a version stamp, and its budget stays negative
// so that every input re-examines it. Any inhibition that reaches a neuron with a pending
// prediction bumps its version (the old event is dropped when popped) and predicts again.
// The result is exact: no spike is missed, and every spike time is a root of the
// closed-form membrane equation. A neuron is examined at every input after which it could
// be hot, so the spikes do not depend on how often it is examined otherwise.
//
// STDP traces are computed from last spike times (model.Trace) at spikes only, and only
// for the small sets of inputs and neurons whose traces are above the cut.
//
// Runaway guard. A trial whose excitatory spikes exceed SpikeBudget (MaxRateHz on average)
// stops with an error wrapping ErrRunaway; event/stepped uses the same budget and error, so
// a caller tells a runaway regime from a bug the same way on either engine.
//
// Checks. The engine passes the conformance suite of event/enginetest (closed-form spike
// times to 1e-9 ms, membranes after long trials, bad input, the guard, determinism,
// continuity across trials), and TestConvergence compares it with the time-stepped
// reference, event/stepped, whose spikes converge to these as dt shrinks.
//
// The package owns the scheduling: when each neuron is examined, predicted and updated.
// The physics (the closed form, the crossing predictor, STDP) is model's, so the two
// engines cannot disagree about the equations. It must not know about MNIST, labels, files
// or command-line flags: its errors name regime fields (Regime.JIn), not flags.
package event
