import { describe, expect, it } from 'vitest';
import { barChart, lineChart } from './charts.ts';

describe('server-rendered charts', () => {
  it('renders a line chart with a target as one named SVG image, without inline styles (strict CSP)', async () => {
    const svg = await lineChart([{ x: '2023-05', y: 2150, series: 'Trained' }, { x: '2024-05', y: 4540, series: 'Trained' }], {
      title: 'Officers trained against a target of 2,000', xTitle: 'Period', yTitle: 'Officers', target: { value: 2000, label: 'Target 2,000' },
    });
    expect(svg).toMatch(/^<svg role="img" aria-label="Officers trained against a target of 2,000"/);
    expect(svg).toContain('<title>Officers trained against a target of 2,000</title>');
    expect(svg).toContain('Target 2,000');
    expect(svg).not.toMatch(/style=|role="graphics-/);
  });

  it('escapes the text alternative', async () => {
    const svg = await barChart([{ label: 'A', value: 1 }], { title: 'A & B <c>', xTitle: 'x', yTitle: 'y' });
    expect(svg).toContain('aria-label="A &amp; B &lt;c&gt;"');
  });
});
