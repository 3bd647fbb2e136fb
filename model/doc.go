// Package model is the network as data and its physics: struct-of-arrays state, the
// named parameter sets (regimes), the closed-form dynamics of a current-based leaky
// integrate-and-fire neuron with exponentially decaying synaptic current, the exact
// threshold-crossing predictor, the Diehl & Cook 2015 STDP rule with lazily computed
// traces, weight normalization, and the trial data that engines consume.
//
// # What it owns
//
// The physics lives here and nowhere else: the event-driven engine (package event)
// and the time-stepped reference (package event/stepped) differ only in when they
// call these functions, so a disagreement between them is a scheduling bug, never
// two copies of the equations. It also owns the parameter values and their validity
// (Regime.Validate, SleepChanges.Validate, Network.Check).
//
// Model, in units of ms and mV, with u = v - VRest:
//
//	du/dt = (-u + I) / TauM          (u held at VReset-VRest for TRef after a spike)
//	dI/dt = -I / TauS                (an input of weight w adds w*J to I)
//	dθ/dt = -θ / TauTheta            (θ += ThetaPlus at each excitatory spike)
//	spike when u >= (VThresh - VRest) + θ
//
// Between events u(s) = u0·e^{-s/TauM} + I0·κ·(e^{-s/TauM} - e^{-s/TauS}) with
// κ = TauS/(TauM-TauS), exactly.
//
// # What it must not know
//
// Queues, engines, files, data sets, flags or how random generators are seeded:
// callers pass a *rand.Rand where randomness is needed, and a Trial (input spikes) rather
// than images.
//
// # Zero values
//
// Build networks with NewNetwork and regimes with Awake, AwakeN or Sleep; the zero
// Network fails Check and the zero Regime fails Validate, which both engines call. A
// network filled in field by field works once its arrays have the right lengths (Check).
// The zero ActiveSet is an empty set ready to use. The zero SleepChanges fails Validate
// (LeakScale 0): start from NeutralSleep. Kernel is derived data: build it with NewKernel.
package model
