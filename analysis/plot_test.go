package analysis

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// decodePNG opens path, decodes it as PNG and checks it is at least minW x minH.
func decodePNG(t *testing.T, path string, minW, minH int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < minW || b.Dy() < minH {
		t.Fatalf("%s is %dx%d, want at least %dx%d", path, b.Dx(), b.Dy(), minW, minH)
	}
	return img
}

// distinctColours counts the distinct colours in img, up to limit.
func distinctColours(img image.Image, limit int) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// noTempLeft fails if dir holds anything but the named files (no stray temp files).
func noTempLeft(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(names) {
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		t.Errorf("%s holds %v, want only %v", dir, got, names)
	}
}

// Figures are 6 x 4 inches at vgimg's default 96 dpi: 576 x 384 pixels.
const figW, figH = 576, 384

func TestLinePlot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "acc.png")
	series := []Series{
		{Name: "before sleep", X: []float64{0, 0.1, 0.2, 0.3}, Mean: []float64{0.9, 0.7, 0.5, 0.3}, SD: []float64{0.02, 0.03, 0.04, 0.05}},
		{Name: "after sleep", X: []float64{0, 0.1, 0.2, 0.3}, Mean: []float64{0.88, 0.8, 0.7, 0.6}},
	}
	if err := LinePlot(path, "Accuracy vs noise", "noise variance", "accuracy", series); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path, figW, figH)
	// White background, black text and axes, two series colours, anti-aliasing.
	if n := distinctColours(img, 10); n < 10 {
		t.Errorf("line plot has only %d colours", n)
	}
	noTempLeft(t, dir, "acc.png")
	// Overwriting an existing figure works (rename over it).
	if err := LinePlot(path, "again", "x", "y", series[1:]); err != nil {
		t.Fatal(err)
	}
	noTempLeft(t, dir, "acc.png")
}

func TestScatterPlot(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "scatter.png")
	if err := ScatterPlot(path, "RF variance vs threshold change", "variance", "Δθ", []float64{1, 2, 3, 4}, []float64{0.1, -0.2, 0.4, 0.3}); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, path, figW, figH)
	// One point: a degenerate range gonum/plot widens by ±1.
	if err := ScatterPlot(path, "", "", "", []float64{1}, []float64{2}); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, path, figW, figH)
}

func TestBarPlot(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bars.png")
	labels := []string{"0", "1", "2"}
	series := []Series{
		{Name: "up", Mean: []float64{10, 20, 30}, SD: []float64{1, 2, 3}},
		{Name: "down", Mean: []float64{30, 20, 10}},
		{Mean: []float64{5, 5, 5}}, // unnamed: no legend entry
	}
	if err := BarPlot(path, "Threshold changes", "neurons", labels, series); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path, figW, figH)
	if n := distinctColours(img, 10); n < 10 {
		t.Errorf("bar plot has only %d colours", n)
	}
}

func TestPlotErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.png")
	nan := math.NaN()
	for _, c := range []struct {
		name string
		f    func() error
		want error
	}{
		{"line no series", func() error { return LinePlot(path, "", "", "", nil) }, ErrNoData},
		{"line empty series", func() error { return LinePlot(path, "", "", "", []Series{{Name: "e"}}) }, ErrNoData},
		{"line x/mean", func() error {
			return LinePlot(path, "", "", "", []Series{{X: []float64{1, 2}, Mean: []float64{1}}})
		}, ErrLength},
		{"line sd length", func() error {
			return LinePlot(path, "", "", "", []Series{{X: []float64{1, 2}, Mean: []float64{1, 2}, SD: []float64{1}}})
		}, ErrLength},
		{"line NaN mean", func() error {
			return LinePlot(path, "", "", "", []Series{{X: []float64{1, 2}, Mean: []float64{1, nan}}})
		}, ErrNonFinite},
		{"line Inf x", func() error {
			return LinePlot(path, "", "", "", []Series{{X: []float64{math.Inf(1), 2}, Mean: []float64{1, 2}}})
		}, ErrNonFinite},
		{"line NaN SD", func() error {
			return LinePlot(path, "", "", "", []Series{{X: []float64{1, 2}, Mean: []float64{1, 2}, SD: []float64{nan, 1}}})
		}, ErrNonFinite},
		{"line negative SD", func() error {
			return LinePlot(path, "", "", "", []Series{{X: []float64{1, 2}, Mean: []float64{1, 2}, SD: []float64{-1, 1}}})
		}, ErrNegativeSD},
		{"line mean+SD overflows", func() error {
			return LinePlot(path, "", "", "", []Series{{X: []float64{1}, Mean: []float64{math.MaxFloat64}, SD: []float64{math.MaxFloat64}}})
		}, ErrNonFinite},
		{"scatter lengths", func() error { return ScatterPlot(path, "", "", "", []float64{1, 2}, []float64{1}) }, ErrLength},
		{"scatter empty", func() error { return ScatterPlot(path, "", "", "", nil, nil) }, ErrNoData},
		{"scatter NaN", func() error { return ScatterPlot(path, "", "", "", []float64{1, nan}, []float64{1, 2}) }, ErrNonFinite},
		{"bar no labels", func() error { return BarPlot(path, "", "", nil, []Series{{Mean: []float64{1}}}) }, ErrNoData},
		{"bar no series", func() error { return BarPlot(path, "", "", []string{"a"}, nil) }, ErrNoData},
		{"bar mean length", func() error {
			return BarPlot(path, "", "", []string{"a", "b"}, []Series{{Mean: []float64{1}}})
		}, ErrLength},
		{"bar NaN", func() error {
			return BarPlot(path, "", "", []string{"a", "b"}, []Series{{Mean: []float64{1, nan}}})
		}, ErrNonFinite},
		// gonum/plot widens a constant axis by ±1, which is lost at 1e20 and makes its
		// tick marker panic ("illegal range"): savePlot must turn that into an error.
		{"constant at 1e20", func() error { return ScatterPlot(path, "", "", "", []float64{1e20, 1e20}, []float64{1e20, 1e20}) }, ErrRender},
		{"missing directory", func() error {
			return ScatterPlot(filepath.Join(dir, "no", "such.png"), "", "", "", []float64{1}, []float64{1})
		}, os.ErrNotExist},
	} {
		if err := c.f(); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	noTempLeft(t, dir) // nothing written on failure
}

func TestSaveImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	g.SetGray(2, 1, color.Gray{Y: 200})
	path := filepath.Join(dir, "rf.png")
	if err := SaveImage(path, g, 4); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path, 12, 8)
	if b := img.Bounds(); b.Dx() != 12 || b.Dy() != 8 {
		t.Fatalf("scaled image %v, want 12x8", b)
	}
	// Pixel (2,1) becomes the block x 8..11, y 4..7.
	for _, p := range []image.Point{{8, 4}, {11, 7}} {
		if v := color.GrayModel.Convert(img.At(p.X, p.Y)).(color.Gray).Y; v != 200 {
			t.Errorf("scaled pixel %v = %d, want 200", p, v)
		}
	}
	if v := color.GrayModel.Convert(img.At(7, 4)).(color.Gray).Y; v != 0 {
		t.Errorf("scaled pixel (7,4) = %d, want 0", v)
	}
	// A sub-image with a non-zero origin and a non-gray image take the generic path.
	rgba := image.NewRGBA(image.Rect(5, 5, 7, 7))
	rgba.Set(6, 6, color.RGBA{R: 255, A: 255})
	if err := SaveImage(path, rgba, 3); err != nil {
		t.Fatal(err)
	}
	img = decodePNG(t, path, 6, 6)
	if r, _, _, _ := img.At(5, 5).RGBA(); r != 0xffff {
		t.Errorf("scaled RGBA pixel (5,5) red = %#x, want 0xffff", r)
	}
	// A gray sub-image with a non-zero origin.
	sub := RFGrid([]float64{1, 2, 3, 4}, 4, 1, 2, 2, 1).SubImage(image.Rect(1, 1, 3, 3))
	if err := SaveImage(path, sub, 2); err != nil {
		t.Fatal(err)
	}
	img = decodePNG(t, path, 4, 4)
	if v := color.GrayModel.Convert(img.At(3, 3)).(color.Gray).Y; v != 255 {
		t.Errorf("sub-image max pixel = %d, want 255", v)
	}
	noTempLeft(t, dir, "rf.png")
	for _, c := range []struct {
		name  string
		img   image.Image
		scale int
		want  error
	}{
		{"nil", nil, 1, ErrNoData},
		{"empty", image.NewGray(image.Rect(0, 0, 0, 5)), 1, ErrNoData},
		{"scale 0", g, 0, ErrScale},
		{"too large", g, 1 << 14, ErrScale},
	} {
		if err := SaveImage(path, c.img, c.scale); !errors.Is(err, c.want) {
			t.Errorf("SaveImage(%s): err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestLegendCorner(t *testing.T) {
	t.Parallel()
	// Points map to u = x/4 and v = y/4; corner boxes are u >= 0.6 (right) or <= 0.4
	// (left) by v >= 0.75 (top) or <= 0.25 (bottom).
	x := []float64{0, 1, 2, 3, 4}
	for _, c := range []struct {
		name      string
		y         []float64
		top, left bool
	}{
		{"falling", []float64{4, 3, 2, 1, 0}, true, false},      // top right is empty
		{"rising", []float64{0, 1, 2, 3, 4}, true, true},        // top left is empty
		{"peak", []float64{0, 2, 4, 2, 0}, true, false},         // top corners empty: top right wins the tie
		{"valley", []float64{4, 2, 0, 2, 4}, false, false},      // bottom corners empty: bottom right wins
		{"high plateau", []float64{4, 4, 4, 4, 0}, false, true}, // only bottom left is empty
	} {
		top, left := legendCorner([]Series{{X: x, Mean: c.y}})
		if top != c.top || left != c.left {
			t.Errorf("%s: legendCorner = top %v, left %v, want %v, %v", c.name, top, left, c.top, c.left)
		}
	}
}
