package event

// SetMinBlock lowers the parallel fan-out's smallest block, so that tests can split small
// networks; it returns a function that restores it.
func SetMinBlock(n int) (restore func()) {
	old := minBlock
	minBlock = n
	return func() { minBlock = old }
}

// SetAdaptJobs sets how many input jobs pass between two balancings of the parallel
// fan-out's blocks; it returns a function that restores it.
func SetAdaptJobs(n int) (restore func()) {
	old := adaptJobs
	adaptJobs = n
	return func() { adaptJobs = old }
}

// OnCut has f told the size of the calling goroutine's block at every cut of the parallel
// fan-out's blocks, and choose it at every balancing (nil: the engine's choice); it
// returns a function that stops both.
func OnCut(f func(s0 int), choose func(s0 int) int) (restore func()) {
	onCut, testCut = f, choose
	return func() { onCut, testCut = nil, nil }
}
