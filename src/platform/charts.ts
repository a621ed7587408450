import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Charts as SVG rendered on the server (Vega-Lite → Vega → SVG, no browser script), for any capability. Every chart
 * is drawn with role="img" and a text alternative, and pages put a data table beside it: the table, not the picture,
 * is the accessible source of the numbers.
 */

export interface ChartOptions {
  /** Short text alternative, e.g. "Line chart of RISDP completions against the target of 2,000". */
  title: string;
  width?: number;
  height?: number;
}

// GOV.UK palette: readable on white, distinct for the common colour-vision deficiencies in the first few series.
const PALETTE = ['#1d70b8', '#d4351c', '#00703c', '#4c2c92', '#f47738', '#505a5f'];

/** Renders a Vega-Lite spec to an SVG string carrying an accessible name. */
export async function renderChart(spec: TopLevelSpec, options: ChartOptions): Promise<string> {
  const full = {
    width: options.width ?? 560,
    height: options.height ?? 280,
    background: 'white',
    config: {
      // The SVG is one named image; Vega's own per-mark ARIA roles would compete with that.
      aria: false,
      font: 'Arial, sans-serif',
      axis: { labelFontSize: 12, titleFontSize: 13, labelColor: '#0b0c0c', titleColor: '#0b0c0c' },
      legend: { labelFontSize: 12, titleFontSize: 13, orient: 'bottom' },
      range: { category: PALETTE },
      line: { strokeWidth: 3 },
    },
    ...spec,
  } as TopLevelSpec;
  const vg = compile(full).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return accessible(svg, options.title);
  } finally {
    view.finalize();
  }
}

/** A line chart over time for one or more series, with an optional horizontal target line. */
export async function lineChart(
  points: { x: string; y: number; series: string }[],
  options: ChartOptions & { xTitle: string; yTitle: string; target?: { value: number; label: string } },
): Promise<string> {
  const layers: unknown[] = [
    {
      data: { values: points },
      mark: { type: 'line', point: { size: 60, filled: true } },
      encoding: {
        x: { field: 'x', type: 'ordinal', title: options.xTitle, axis: { labelAngle: 0 } },
        y: { field: 'y', type: 'quantitative', title: options.yTitle },
        color: { field: 'series', type: 'nominal', title: null },
        strokeDash: { field: 'series', type: 'nominal', legend: null },
      },
    },
  ];
  if (options.target) {
    layers.push(
      { data: { values: [{ y: options.target.value }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#0b0c0c', strokeWidth: 2 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      {
        data: { values: [{ y: options.target.value, label: options.target.label }] },
        mark: { type: 'text', align: 'left', dx: 4, dy: -8, color: '#0b0c0c', fontSize: 12 },
        encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
      },
    );
  }
  return renderChart({ layer: layers } as TopLevelSpec, options);
}

/** A bar chart of one value per category. */
export async function barChart(bars: { label: string; value: number }[], options: ChartOptions & { xTitle: string; yTitle: string }): Promise<string> {
  return renderChart({
    data: { values: bars },
    mark: { type: 'bar', color: PALETTE[0] },
    encoding: {
      x: { field: 'label', type: 'nominal', title: options.xTitle, sort: null, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: options.yTitle },
    },
  } as TopLevelSpec, options);
}

/** Marks the SVG as one image with a name (screen readers then skip its many text nodes) and makes it scale. */
function accessible(svg: string, title: string): string {
  const esc = title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return svg
    // Vega's own per-mark ARIA roles would compete with the one image the chart is to assistive technology.
    .replace(/ role="graphics-[a-z]+"| aria-roledescription="[^"]*"/g, '')
    // No style attribute (the CSP forbids inline styles): width 100% with the viewBox kept scales it to its column.
    .replace(/^<svg ([^>]*?)width="\d+" height="\d+"/, '<svg $1width="100%"')
    .replace(/^<svg /, `<svg role="img" aria-label="${esc}" focusable="false" `)
    .replace(/(<svg[^>]*>)/, `$1<title>${esc}</title>`);
}
