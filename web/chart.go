package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Charts are SVG drawn on the server: no script, no inline style (the CSP
// allows neither), only SVG attributes and the classes of jejak.css and
// its analyst section (svg.chart, bar1..bar3, axis, line, dot). Every label is
// escaped here; the page also gives each chart's numbers as a table.

// chartPoint is one bar or one point of a chart.
type chartPoint struct {
	Label string  // under the bar (short)
	Value float64 // its height
	Text  string  // the value as the page writes it, above the bar
	Title string  // the tooltip and the accessible name of the bar
	Class string  // bar1, bar2 or bar3
}

// Chart geometry, in viewBox units.
const (
	chartW      = 640.0
	chartH      = 240.0
	chartLeft   = 36.0
	chartRight  = 8.0
	chartTop    = 18.0
	chartBottom = 34.0
)

// niceMax is the top of a chart's axis: at least max, a round number.
func niceMax(max float64) float64 {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(max)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*exp >= max {
			return m * exp
		}
	}
	return 10 * exp
}

// chartFrame writes the opening of a chart, its accessible name, its
// horizontal grid lines with their values (top, middle) and the axis.
func chartFrame(b *strings.Builder, label string, top float64, num func(float64) string) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, html.EscapeString(label))
	fmt.Fprintf(b, `<title>%s</title>`, html.EscapeString(label))
	plotH := chartH - chartTop - chartBottom
	for _, f := range []float64{0, 0.5, 1} {
		y := chartTop + plotH*(1-f)
		fmt.Fprintf(b, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"></line>`, chartLeft, y, chartW-chartRight, y)
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end">%s</text>`, chartLeft-4, y+4, html.EscapeString(num(top*f)))
	}
	fmt.Fprintf(b, `<line class="axis" x1="%g" y1="%g" x2="%g" y2="%g"></line>`, chartLeft, chartTop+plotH, chartW-chartRight, chartTop+plotH)
}

// barChart draws vertical bars, one per point, labelled under and valued
// above.
func barChart(label string, pts []chartPoint, num func(float64) string) template.HTML {
	var b strings.Builder
	top, plotH, slot := chartStart(&b, label, pts, num)
	barW := slot * 0.7
	for i, p := range pts {
		h := plotH * max(p.Value, 0) / top
		x := chartLeft + slot*float64(i) + (slot-barW)/2
		y := chartTop + plotH - h
		class := p.Class
		if class == "" {
			class = "bar1"
		}
		fmt.Fprintf(&b, `<g><title>%s</title><rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"></rect>`,
			html.EscapeString(p.Title), class, x, y, barW, h)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x+barW/2, y-4, html.EscapeString(p.Text))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text></g>`, x+barW/2, chartTop+plotH+16, html.EscapeString(p.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// lineChart draws the points joined by a line, each with a dot, labelled
// under and valued above.
func lineChart(label string, pts []chartPoint, num func(float64) string) template.HTML {
	var b strings.Builder
	top, plotH, slot := chartStart(&b, label, pts, num)
	xy := func(i int, v float64) (float64, float64) {
		return chartLeft + slot*float64(i) + slot/2, chartTop + plotH - plotH*max(v, 0)/top
	}
	var line strings.Builder
	for i, p := range pts {
		x, y := xy(i, p.Value)
		fmt.Fprintf(&line, "%.1f,%.1f ", x, y)
	}
	fmt.Fprintf(&b, `<polyline class="line" points="%s"></polyline>`, strings.TrimSpace(line.String()))
	for i, p := range pts {
		x, y := xy(i, p.Value)
		fmt.Fprintf(&b, `<g><title>%s</title><circle class="dot" cx="%.1f" cy="%.1f" r="4"></circle>`, html.EscapeString(p.Title), x, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, y-8, html.EscapeString(p.Text))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text></g>`, x, chartTop+plotH+16, html.EscapeString(p.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// chartStart draws the frame of a chart of pts and returns its top value,
// the plot's height and the width of one point's slot.
func chartStart(b *strings.Builder, label string, pts []chartPoint, num func(float64) string) (top, plotH, slot float64) {
	for _, p := range pts {
		top = max(top, p.Value)
	}
	top = niceMax(top)
	chartFrame(b, label, top, num)
	plotW := chartW - chartLeft - chartRight
	return top, chartH - chartTop - chartBottom, plotW / float64(max(len(pts), 1))
}
