package analysis

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/evsim/evsim/analysis/outfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figure size of every plot; at vgimg's default 96 dpi a figure is 576 x 384 pixels.
const (
	figWidth  = 6 * vg.Inch
	figHeight = 4 * vg.Inch
)

// Series is one named curve or set of bars: Mean[i] at X[i] with an error bar of
// ±SD[i]. SD may be nil for no error bars. BarPlot ignores X.
type Series struct {
	Name        string
	X, Mean, SD []float64
}

// check validates s for n points (n < 0: take n from X).
func (s Series) check(n int) error {
	if n < 0 {
		n = len(s.X)
		if len(s.Mean) != n {
			return fmt.Errorf("%w: series %q has %d x and %d means", ErrLength, s.Name, n, len(s.Mean))
		}
		if err := finite(s.X); err != nil {
			return fmt.Errorf("series %q x: %w", s.Name, err)
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: series %q is empty", ErrNoData, s.Name)
	}
	if len(s.Mean) != n {
		return fmt.Errorf("%w: series %q has %d means, want %d", ErrLength, s.Name, len(s.Mean), n)
	}
	if err := finite(s.Mean); err != nil {
		return fmt.Errorf("series %q mean: %w", s.Name, err)
	}
	if s.SD == nil {
		return nil
	}
	if len(s.SD) != n {
		return fmt.Errorf("%w: series %q has %d SDs, want %d", ErrLength, s.Name, len(s.SD), n)
	}
	if err := finite(s.SD); err != nil {
		return fmt.Errorf("series %q SD: %w", s.Name, err)
	}
	for i, sd := range s.SD {
		if sd < 0 {
			return fmt.Errorf("%w: series %q SD[%d] = %g", ErrNegativeSD, s.Name, i, sd)
		}
		if math.IsInf(s.Mean[i]+sd, 0) || math.IsInf(s.Mean[i]-sd, 0) {
			return fmt.Errorf("%w: series %q mean ± SD at %d overflows", ErrNonFinite, s.Name, i)
		}
	}
	return nil
}

// finite reports ErrNonFinite, with the index, for the first NaN or ±Inf in v.
func finite(v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: [%d] = %g", ErrNonFinite, i, x)
		}
	}
	return nil
}

// errXY serves a series to plotter.NewYErrorBars, with an x shift for grouped bars.
type errXY struct {
	s     Series
	shift float64
}

func (e errXY) Len() int                        { return len(e.s.Mean) }
func (e errXY) YError(i int) (float64, float64) { return e.s.SD[i], e.s.SD[i] }
func (e errXY) XY(i int) (float64, float64) {
	if e.s.X == nil {
		return float64(i) + e.shift, e.s.Mean[i]
	}
	return e.s.X[i] + e.shift, e.s.Mean[i]
}

// newPlot returns a plot with the title and axis labels set.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	return p
}

// LinePlot draws each series as a line with point markers and, where SD is given,
// ±SD error bars, with a legend of the series names (unnamed series get no entry) in
// the corner with the least data, and writes it to path as a PNG, atomically. Data
// errors (no series, an empty series, mismatched lengths, NaN or ±Inf, negative SD)
// return ErrNoData, ErrLength, ErrNonFinite or ErrNegativeSD before anything is
// written.
func LinePlot(path, title, xlabel, ylabel string, series []Series) error {
	if len(series) == 0 {
		return fmt.Errorf("%w: line plot %s has no series", ErrNoData, path)
	}
	for _, s := range series {
		if err := s.check(-1); err != nil {
			return fmt.Errorf("analysis: line plot %s: %w", path, err)
		}
	}
	p := newPlot(title, xlabel, ylabel)
	for k, s := range series {
		xy := errXY{s: s}
		line, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRender, path, err)
		}
		line.Color = plotutil.Color(k)
		pts.Color = plotutil.Color(k)
		pts.Shape = plotutil.Shape(k)
		p.Add(line, pts)
		if s.SD != nil {
			eb, err := plotter.NewYErrorBars(xy)
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrRender, path, err)
			}
			eb.Color = plotutil.Color(k)
			p.Add(eb)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, line, pts)
		}
	}
	p.Legend.Top, p.Legend.Left = legendCorner(series)
	return savePlot(path, p)
}

// legendCorner picks the plot corner for a line plot's legend: the one whose box
// (the outer 40% of the x range by 25% of the y range) holds the fewest points and
// error-bar ends, preferring top right, top left, bottom right, bottom left on ties.
func legendCorner(series []Series) (top, left bool) {
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	each := func(f func(x, y float64)) {
		for _, s := range series {
			for i, x := range s.X {
				f(x, s.Mean[i])
				if s.SD != nil {
					f(x, s.Mean[i]-s.SD[i])
					f(x, s.Mean[i]+s.SD[i])
				}
			}
		}
	}
	each(func(x, y float64) {
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
	})
	var count [4]int // top right, top left, bottom right, bottom left
	each(func(x, y float64) {
		u, v := 0.5, 0.5
		if xmax > xmin {
			u = (x - xmin) / (xmax - xmin)
		}
		if ymax > ymin {
			v = (y - ymin) / (ymax - ymin)
		}
		for c := range count {
			inX := u >= 0.6 && c%2 == 0 || u <= 0.4 && c%2 == 1
			inY := v >= 0.75 && c < 2 || v <= 0.25 && c >= 2
			if inX && inY {
				count[c]++
			}
		}
	})
	best := 0
	for c := range count {
		if count[c] < count[best] {
			best = c
		}
	}
	return best < 2, best%2 == 1
}

// ScatterPlot draws the points (x[i], y[i]) and writes the figure to path as a PNG,
// atomically. It returns ErrLength, ErrNoData or ErrNonFinite for bad data.
func ScatterPlot(path, title, xlabel, ylabel string, x, y []float64) error {
	s := Series{X: x, Mean: y}
	if err := s.check(-1); err != nil {
		return fmt.Errorf("analysis: scatter plot %s: %w", path, err)
	}
	sc, err := plotter.NewScatter(errXY{s: s})
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRender, path, err)
	}
	sc.Shape = draw.CircleGlyph{}
	sc.Color = plotutil.Color(2)
	p := newPlot(title, xlabel, ylabel)
	p.Add(sc)
	return savePlot(path, p)
}

// groupWidth is the fraction of the unit spacing between bar groups that the bars of
// one group fill.
const groupWidth = 0.8

// dataBars is a BarChart whose bar width is fixed in data units (w) rather than in
// vg lengths, so that grouped bars tile their group exactly at any figure size.
type dataBars struct {
	*plotter.BarChart
	w float64
}

// Plot sets the bar width from the plot's x transform, then draws the bars.
func (b dataBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	b.Width = trX(b.w) - trX(0)
	b.BarChart.Plot(c, p)
}

// BarPlot draws grouped bars: one group per label, in which series k's bar has height
// series[k].Mean[g] with a ±SD[g] error bar when SD is given (X is ignored); the legend
// names the series. It writes the figure to path as a PNG, atomically, and returns
// ErrNoData, ErrLength, ErrNonFinite or ErrNegativeSD for bad data.
func BarPlot(path, title, ylabel string, labels []string, series []Series) error {
	if len(labels) == 0 || len(series) == 0 {
		return fmt.Errorf("%w: bar plot %s has %d groups and %d series", ErrNoData, path, len(labels), len(series))
	}
	for _, s := range series {
		if err := s.check(len(labels)); err != nil {
			return fmt.Errorf("analysis: bar plot %s: %w", path, err)
		}
	}
	p := newPlot(title, "", ylabel)
	w := groupWidth / float64(len(series))
	named := 0
	for k, s := range series {
		shift := -groupWidth/2 + (float64(k)+0.5)*w // centre of bar k within its group
		bc, err := plotter.NewBarChart(plotter.Values(s.Mean), 1)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRender, path, err)
		}
		bc.XMin = shift
		bc.Color = plotutil.Color(k)
		bc.LineStyle.Width = 0
		bars := dataBars{BarChart: bc, w: w}
		p.Add(bars)
		if s.SD != nil {
			eb, err := plotter.NewYErrorBars(errXY{s: Series{Mean: s.Mean, SD: s.SD}, shift: shift})
			if err != nil {
				return fmt.Errorf("%w: %s: %v", ErrRender, path, err)
			}
			p.Add(eb)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, bars)
			named++
		}
	}
	p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	p.NominalX(labels...)
	p.Legend.Top = true
	if named > 0 && p.Y.Max > p.Y.Min {
		// Headroom above the tallest bar for the legend: about 6% of the axis per
		// entry at this figure size.
		p.Y.Max += (0.04 + 0.06*float64(named)) * (p.Y.Max - p.Y.Min)
	}
	return savePlot(path, p)
}

// savePlot renders p as a PNG and writes it to path atomically. gonum/plot panics on
// some degenerate axes that pass validation (a constant series at 1e20, where the
// axis widening Min--, Max++ is lost to rounding, hits "illegal range" in the tick
// marker); such panics come back as ErrRender.
func savePlot(path string, p *plot.Plot) (err error) {
	var buf bytes.Buffer
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: %s: %v", ErrRender, path, r)
			}
		}()
		var wt io.WriterTo
		wt, err = p.WriterTo(figWidth, figHeight, "png")
		if err == nil {
			_, err = wt.WriteTo(&buf)
		}
	}()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// WriteFileAtomic writes data to path atomically, by the rules of package outfile: a
// temporary file in path's folder is synced and renamed over path, so readers see either
// the old file or the complete new one, and it is removed on failure. Directories,
// devices, FIFOs, sockets and read-only or immutable files are refused; a symlink is
// written through. A new file is 0644; a replaced file keeps its permission bits.
func WriteFileAtomic(path string, data []byte) error {
	return outfile.WriteFile(path, data)
}

// maxImageSide bounds SaveImage's output, 16384 pixels per side.
const maxImageSide = 1 << 14

// SaveImage writes img to path as a PNG, atomically, each pixel enlarged to a
// scale x scale block (nearest neighbour). A *image.Gray stays grayscale; other
// images are written as RGBA. It returns ErrNoData for a nil or empty image and
// ErrScale when scale < 1 or the result would exceed 16384 pixels per side.
func SaveImage(path string, img image.Image, scale int) error {
	if img == nil || img.Bounds().Empty() {
		return fmt.Errorf("%w: image for %s is empty", ErrNoData, path)
	}
	b := img.Bounds()
	if scale < 1 || b.Dx() > maxImageSide/scale || b.Dy() > maxImageSide/scale {
		return fmt.Errorf("%w: %dx%d image at scale %d for %s", ErrScale, b.Dx(), b.Dy(), scale, path)
	}
	r := image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale)
	var out image.Image
	if g, ok := img.(*image.Gray); ok {
		o := image.NewGray(r)
		for y := range r.Dy() {
			src := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y/scale):]
			row := o.Pix[y*o.Stride : y*o.Stride+r.Dx()]
			for x := range row {
				row[x] = src[x/scale]
			}
		}
		out = o
	} else {
		o := image.NewRGBA(r)
		for y := range r.Dy() {
			for x := range r.Dx() {
				o.Set(x, y, color.RGBAModel.Convert(img.At(b.Min.X+x/scale, b.Min.Y+y/scale)))
			}
		}
		out = o
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return err
	}
	return WriteFileAtomic(path, buf.Bytes())
}
