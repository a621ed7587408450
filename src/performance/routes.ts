import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireSignIn } from '../platform/auth/routes.ts';
import { barChart, renderChart } from '../platform/charts.ts';
import { notFound } from '../platform/errors.ts';
import { ODS_CONTENT_TYPE, odsFilename, writeOds } from '../platform/ods.ts';
import type { PerformanceScope } from '../platform/policy.ts';
import type { Services } from '../services.ts';
import { SUPPRESSED_MARKER, THRESHOLD } from './disclosure.ts';
import { MEASURES, OFFENCE_GROUP_DEFINITION, OFFENCE_GROUPS, SECTIONS } from './measures.ts';
import { lastCompleteQuarter, quarterLabel, quarterRange } from './quarters.ts';
import { dashboardQuerySchema, dataQualityQuerySchema, publicationParamsSchema } from './schemas.ts';
import { type DashboardQuery, type MeasureRow, type PublicationRow, type PublicationTable, publicationCsv, toCsv } from './service.ts';

type Dash = Awaited<ReturnType<Services['performance']['dashboard']>>;

const TABLE_MEASURES: Record<string, string[]> = {
  'referrals-charges': ['referrals', 'charges'],
  'charge-rate': ['charge_rate'],
};

function queryString(query: Record<string, unknown>) {
  return (overrides: Record<string, unknown> = {}) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...overrides })) if (v !== undefined && v !== '' && v !== null) params.set(k, String(v));
    return `?${params.toString()}`;
  };
}

export async function performanceRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const perf = services.performance;

  /** Resolves the filter form into a dashboard query, with errors for the error summary and the options to show. */
  async function resolve(request: FastifyRequest, scope: PerformanceScope) {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const parsed = dashboardQuerySchema.safeParse(raw);
    const errors = parsed.success ? [] : parsed.error.issues.map((i) => ({ text: i.message, href: `#${String(i.path[0] ?? 'group')}` }));
    const v = parsed.success ? parsed.data : {};
    const range = await perf.defaultRange();
    const submitted = Object.keys(raw).some((k) => ['group', 'area', 'force', 'from', 'to', 'baseline'].includes(k));
    const own = perf.defaultView(scope);
    const view: Pick<DashboardQuery, 'view' | 'area' | 'force'> = v.force ? { view: 'force', force: v.force } : v.area ? { view: 'area', area: v.area } : submitted ? { view: 'national' } : own;
    const q: DashboardQuery = { group: v.group ?? 'adult_rape', ...view, from: v.from ?? range.from, to: v.to ?? range.to, baseline: v.baseline ?? range.baseline };
    return { q, errors, table: 'table' in v ? v.table : undefined };
  }

  async function options(scope: PerformanceScope) {
    const areas = (await services.reference.areas()).filter((a) => !a.is_cps_direct);
    const forces = await services.reference.forces();
    const mappings = await services.reference.mappings();
    const quarters = quarterRange('2019Q1', lastCompleteQuarter(services.clock.now())).reverse();
    if (scope.level === 'national') return { areas, forces, quarters };
    if (scope.level === 'area') {
      const ids = new Set(mappings.filter((m) => m.cps_area_id === scope.areaId).map((m) => m.force_id));
      return { areas: areas.filter((a) => a.id === scope.areaId), forces: forces.filter((f) => ids.has(f.id)), quarters };
    }
    return { areas: [], forces: forces.filter((f) => f.id === scope.forceId), quarters };
  }

  /** A line chart by quarter; labels slant so that many quarters stay legible. */
  async function trendChart(points: { x: string; y: number; series: string }[], title: string, yTitle: string) {
    return renderChart({
      data: { values: points },
      mark: { type: 'line', point: { size: 50, filled: true } },
      encoding: {
        x: { field: 'x', type: 'ordinal', title: 'Quarter', sort: null, axis: { labelAngle: -40 } },
        y: { field: 'y', type: 'quantitative', title: yTitle },
        color: { field: 'series', type: 'nominal', title: null },
        strokeDash: { field: 'series', type: 'nominal', legend: null },
      },
    } as Parameters<typeof renderChart>[0], { title, width: 640 });
  }

  async function charts(d: Dash, q: DashboardQuery) {
    const labels = d.quarters.map(quarterLabel);
    const series = (ids: string[]) => ids.flatMap((id) => {
      const row = d.rows.find((r) => r.measure.id === id)!;
      return row.values.flatMap((v, i) => (v === null ? [] : [{ x: labels[i]!, y: row.measure.format === 'percent' ? Math.round(v * 1000) / 10 : v, series: row.measure.label }]));
    });
    const group = OFFENCE_GROUPS[q.group].toLowerCase();
    const breakdownCharges = d.breakdown.measures.findIndex((m) => m.id === 'charges');
    return {
      referralsCharges: await trendChart(series(['referrals', 'charges']), `Line chart of referrals and charges by quarter, ${group}, ${d.scopeName}. The figures are in the table that follows.`, 'Number'),
      chargeRate: await trendChart(series(['charge_rate']), `Line chart of the charge rate by quarter, ${group}, ${d.scopeName}. The figures are in the table that follows.`, 'Charge rate (%)'),
      breakdown: await barChart(d.breakdown.rows.map((r) => ({ label: r.name, value: r.values[breakdownCharges] ?? 0 })), {
        title: `Bar chart of charges in ${quarterLabel(q.to)} by ${d.breakdownBy === 'area' ? 'CPS Area' : 'police force'}, ${group}. The figures are in the table that follows.`,
        xTitle: d.breakdownBy === 'area' ? 'CPS Area' : 'Police force', yTitle: 'Charges', width: 640,
      }),
    };
  }

  app.get('/performance', { preHandler: requireSignIn }, async (_request, reply) => reply.redirect('/performance/dashboard'));

  app.get('/performance/dashboard', { preHandler: requireSignIn }, async (request, reply) => {
    const scope = await perf.scopeOf(request.principal!, request.id);
    const { q, errors } = await resolve(request, scope);
    const d = await perf.dashboard(request.principal!, q, request.id);
    const qs = queryString({ group: q.group, area: q.area, force: q.force, from: q.from, to: q.to, baseline: q.baseline });
    return reply.render('performance/views/dashboard.njk', {
      pageTitle: `Performance: ${d.scopeName}`, errors, q, d, qs, sections: SECTIONS, groups: OFFENCE_GROUPS,
      subsets: Object.fromEntries(Object.entries(TABLE_MEASURES).map(([k, ids]) => [k, d.rows.filter((r) => ids.includes(r.measure.id))])),
      bySection: Object.fromEntries(SECTIONS.map((s) => [s, d.rows.filter((r) => r.measure.section === s)])),
      options: await options(scope), charts: await charts(d, q), quarterLabel, headlines: d.rows.filter((r) => r.measure.headline),
      offenceGroupDefinition: OFFENCE_GROUP_DEFINITION,
    });
  });

  app.get('/performance/dashboard.csv', { preHandler: requireSignIn }, async (request, reply) => {
    const scope = await perf.scopeOf(request.principal!, request.id);
    const { q, errors, table } = await resolve(request, scope);
    if (errors.length) return reply.code(400).type('text/plain; charset=utf-8').send(errors.map((e) => e.text).join('\n'));
    const d = await perf.dashboard(request.principal!, q, request.id);
    const name = table ?? 'measures';
    let rows: (string | number | null)[][];
    if (name === 'breakdown') {
      rows = [[d.breakdownBy === 'area' ? 'CPS Area' : 'Police force', ...d.breakdown.measures.map((m) => m.label)], ...d.breakdown.rows.map((r) => [r.name, ...r.formatted])];
    } else {
      const ids = TABLE_MEASURES[name];
      const chosen: MeasureRow[] = ids ? d.rows.filter((r) => ids.includes(r.measure.id)) : d.rows;
      // The change is a plain number (a leading "+" would be read as a formula by spreadsheets).
      rows = [['Measure', ...d.quarters.map(quarterLabel), `Change since ${quarterLabel(q.baseline)} (%)`], ...chosen.map((r) => [r.measure.label, ...r.formatted, r.change === null ? '' : String(r.change)])];
    }
    const scopeSlug = (q.force ?? q.area ?? 'england-and-wales').replace(/[^a-z0-9-]/g, '');
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="tandem-${name}-${q.group.replace('_', '-')}-${scopeSlug}-${q.from}-${q.to}.csv"`)
      .send(toCsv(rows));
  });

  app.get('/performance/data-quality', { preHandler: requireSignIn }, async (request, reply) => {
    const query = dataQualityQuerySchema.parse(request.query ?? {});
    const data = await perf.dataQuality(request.principal!, query, request.id);
    return reply.render('performance/views/data-quality.njk', {
      pageTitle: 'Data quality', ...data, query, pages: Math.max(1, Math.ceil(data.total / data.perPage)), queryString: queryString(query),
    });
  });

  // ---- public: definitions and the quarterly publication (no sign-in, no case data) ----

  app.get('/performance/definitions', async (_request, reply) => reply.render('performance/views/definitions.njk', {
    pageTitle: 'Performance measures: definitions', sections: SECTIONS, measures: MEASURES, offenceGroupDefinition: OFFENCE_GROUP_DEFINITION,
  }));

  app.get('/statistics', async (_request, reply) => reply.render('performance/views/publications.njk', {
    pageTitle: 'Rape and serious sexual offences: quarterly data', publications: await perf.publications(), quarterLabel,
  }));

  async function loadPublication(request: FastifyRequest<{ Params: { quarter: string }; Querystring: { version?: string } }>) {
    const params = publicationParamsSchema.safeParse(request.params);
    const version = request.query.version && /^\d{1,4}$/.test(request.query.version) ? Number(request.query.version) : undefined;
    const pub = params.success ? await perf.publication(params.data.quarter, version) : null;
    if (!pub) throw notFound('There is no publication for that quarter.');
    return pub;
  }

  app.get<{ Params: { quarter: string }; Querystring: { version?: string } }>('/statistics/:quarter', async (request, reply) => {
    const pub = await loadPublication(request);
    const chartsByTable: Record<string, string> = {};
    for (const t of pub.current.tables) {
      const total = t.colLabels.length - 1;
      const bars = t.rowLabels.slice(0, -1).map((label, i) => ({ label, value: t.values[i]![total] ?? 0 }));
      chartsByTable[t.id] = await barChart(bars, { title: `Bar chart of ${t.title.toLowerCase()}, totals by CPS Area; withheld values are drawn as zero. The figures are in the table that follows.`, xTitle: 'CPS Area', yTitle: 'Number', width: 640 });
    }
    return reply.render('performance/views/publication.njk', {
      pageTitle: `Rape and serious sexual offences: ${quarterLabel(pub.current.quarter)}`, pub: pub.current, versions: pub.versions, quarterLabel,
      marker: SUPPRESSED_MARKER, threshold: THRESHOLD, charts: chartsByTable, measures: MEASURES, offenceGroupDefinition: OFFENCE_GROUP_DEFINITION,
      versionQuery: request.query.version ? `?version=${pub.current.version}` : '',
    });
  });

  app.get<{ Params: { quarter: string; table: string }; Querystring: { version?: string } }>('/statistics/:quarter/tables/:table.csv', async (request, reply) => {
    const pub = await loadPublication(request);
    const table = pub.current.tables.find((t) => t.id === request.params.table);
    if (!table) throw notFound();
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="rasso-${pub.current.quarter}-v${pub.current.version}-${table.id}.csv"`)
      .send(publicationCsv(table));
  });

  app.get<{ Params: { quarter: string }; Querystring: { version?: string } }>('/statistics/:quarter/tables.ods', async (request, reply) => {
    const pub = await loadPublication(request);
    return reply.type(ODS_CONTENT_TYPE)
      .header('content-disposition', `attachment; filename="${odsFilename(`rasso-${pub.current.quarter}-v${pub.current.version}`)}"`)
      .send(publicationOds(pub.current));
  });
}

/** The publication as a spreadsheet: a cover sheet with notes, then one sheet per table. */
export function publicationOds(pub: PublicationRow): Buffer {
  const notes = [
    [`Rape and serious sexual offences: ${quarterLabel(pub.quarter)} (version ${pub.version})`],
    [`Released ${new Date(pub.released_at).toISOString().slice(0, 10)}`],
    [`${SUPPRESSED_MARKER} = withheld to protect confidentiality: counts below ${THRESHOLD}, and further cells that would let a withheld count be worked out from the totals.`],
    [OFFENCE_GROUP_DEFINITION],
    ...(pub.commentary ? [[pub.commentary]] : []),
    ...(pub.change_note ? [[`What changed in this version: ${pub.change_note}`]] : []),
  ];
  return writeOds([
    { name: 'Notes', columns: ['Notes'], rows: notes },
    ...pub.tables.map((t: PublicationTable, i: number) => ({
      name: `Table ${i + 1}`,
      columns: [t.title, ...t.colLabels],
      rows: t.values.map((r, ri) => [t.rowLabels[ri]!, ...r.map((v) => (v === null ? SUPPRESSED_MARKER : v))]),
    })),
  ]);
}
