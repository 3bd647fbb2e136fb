package runner

import (
	"math/rand/v2"

	"github.com/evsim/evsim/model"
)

// Diehl & Cook's presentation protocol.
const (
	PresentationMS = 350.0 // image on
	RestMS         = 150.0 // all inputs silent
	MinSpikes      = 5     // fewer excitatory spikes: raise the intensity and show it again
	StartIntensity = 2.0
	MaxIntensity   = 64.0 // give up on an image (and say so in the stats) past this intensity
)

// Random streams, one per role, so that no role's draws shift another's.
const (
	streamInit  = 1 // initial weights
	streamTrain = 2 // training inputs
	StreamLabel = 3 // labelling responses
	StreamTest  = 4 // test responses
	streamSleep = 5 // sleep input
)

// imageRNG is the generator of one presentation: a function of the seed, the role, the
// image's position in its sequence and the attempt, so that results do not depend on
// the order or the worker that runs it.
func imageRNG(seed uint64, stream uint64, pos int, attempt int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix(stream<<56^uint64(pos)<<8^uint64(attempt))))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// inputs builds trials from images, reusing its buffers.
type inputs struct {
	rates []float64
	cum   []float64
	trial model.Trial
}

// Trial returns the trial for one image at an intensity: Poisson rates pixel/8·intensity Hz
// during the presentation, then rest. The trial is valid until the next call.
func (in *inputs) Trial(img []uint8, intensity float64, rng *rand.Rand) *model.Trial {
	in.rates = Rates(in.rates, img, intensity)
	in.trial.Inputs, in.cum = model.Poisson(in.trial.Inputs, in.cum, in.rates, PresentationMS, rng)
	in.trial.Duration, in.trial.Rest = PresentationMS, RestMS
	return &in.trial
}

// Rates writes pixel/8·intensity Hz for each pixel into dst (resized).
func Rates(dst []float64, img []uint8, intensity float64) []float64 {
	if cap(dst) < len(img) {
		dst = make([]float64, len(img))
	}
	dst = dst[:len(img)]
	for i, p := range img {
		dst[i] = float64(p) / 8 * intensity
	}
	return dst
}

// NewNetwork builds a fresh Diehl & Cook network whose initial weights come from seed.
func NewNetwork(nIn, nExc int, seed uint64) *model.Network {
	return model.NewNetwork(nIn, nExc, rand.New(rand.NewPCG(seed, splitmix(streamInit<<56))))
}
