// Package lab holds what the sleeplab research tools share.
package lab

import (
	"log"

	"github.com/evsim/evsim/runner/mnist"
)

// MustLoad loads the first limit images (0: all) of an MNIST split ("train" or "t10k") from
// the GoMNIST module, as evsim does without -data, and exits with the error if it cannot.
func MustLoad(split string, limit int) *mnist.Set {
	dir, err := mnist.DefaultDir()
	if err != nil {
		log.Fatal(err)
	}
	set, err := mnist.Load(dir, split, limit)
	if err != nil {
		log.Fatal(err)
	}
	return set
}
