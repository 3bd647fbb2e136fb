package runner

import (
	"fmt"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/stepped"
	"github.com/evsim/evsim/model"
)

// Engine simulates trials on a network: it is what both the event-driven engine and the
// time-stepped reference provide.
type Engine interface {
	Present(tr *model.Trial, counts []int32) error
}

var (
	_ Engine = (*event.Engine)(nil)
	_ Engine = (*stepped.Engine)(nil)
)

// EngineSpec names an engine: "event", or "stepped" with time step Dt (ms).
type EngineSpec struct {
	Kind string  `json:"kind"`
	Dt   float64 `json:"dt,omitempty"`
}

// New builds the engine over net with regime r.
func (s EngineSpec) New(net *model.Network, r model.Regime) (Engine, error) {
	switch s.Kind {
	case "event":
		return event.New(net, r)
	case "stepped":
		return stepped.New(net, r, s.Dt)
	}
	return nil, fmt.Errorf("runner: unknown engine (EngineSpec.Kind %q): use \"event\" or \"stepped\"", s.Kind)
}

// String is "event" or "stepped(dt=0.5)".
func (s EngineSpec) String() string {
	if s.Kind == "stepped" {
		return fmt.Sprintf("stepped(dt=%g)", s.Dt)
	}
	return s.Kind
}
