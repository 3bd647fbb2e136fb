// Package runner runs the phases of an experiment over an engine: training with the awake
// regime (Train), labelling and testing with a frozen copy (Evaluator, Responses, on every
// core), sleep (Sleep, MeanImage), and snapshots of a network with its metadata. It turns
// images into seeded Poisson trials, so that both engines see the same input spikes for
// the same seed, and the same seed gives the same network whatever the number of cores.
//
// # What it owns
//
// Diehl & Cook's presentation protocol (350 ms on, 150 ms rest, the intensity rule), the
// random streams per role (initial weights, training, labelling, testing, sleep), the
// order of the phases and what each changes, the snapshot file format, and the
// Dataset interface through which every phase reads images: a Len, an Image and a
// Label. *mnist.Set implements it, and so can a synthetic set (see the examples).
//
// # What it must not know
//
// How an engine works inside: it knows engines only through the Engine interface (Present
// a trial, get the counts) and builds them by name (EngineSpec). Where images come from:
// it reads them only through Dataset, so it does not depend on MNIST files, sizes or
// classes beyond the labels 0..Classes-1. The command line: its errors name config fields
// (TrainConfig.Set, SleepConfig.InputGain) and files, never flags. The paper pipeline and
// the sleep search live in runner/experiment, on top of this package.
//
// # Zero values
//
// A config's zero value is refused with an error that names the missing field (Set,
// Engine, Regime, Mean, DurationMS, LeakScale), never a panic: start from DefaultSleep or
// ValidatedSleep for a sleep, and from model.Awake or model.AwakeN for a regime. Bad data
// (an image whose length is not the network's inputs, a label outside 0..Classes-1, a
// malformed network) is reported as an error as well.
package runner
