package event

// SetMinBlock lowers the parallel fan-out's smallest block, so that tests can split small
// networks; it returns a function that restores it.
func SetMinBlock(n int) (restore func()) {
	old := minBlock
	minBlock = n
	return func() { minBlock = old }
}
