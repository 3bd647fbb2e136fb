// Package runner runs the phases of an experiment over an engine: training with the awake
// regime, label assignment and testing with a frozen copy, snapshots, and the parallel
// workers that testing uses. It turns MNIST images into seeded Poisson trials, so that
// both engines see the same input spikes for the same seed.
//
// The runner knows engines only through the Engine interface (Present a trial, get the
// counts); it must not know how an engine works inside.
package runner
