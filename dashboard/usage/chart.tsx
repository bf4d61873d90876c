// Calls per day of the month, one bar a day stacked by the plan each call was made on, drawn by
// uPlot on a canvas. Bars stack through uPlot's bands: each plan's series holds the running
// total up to it, and a band from it down to the plan below makes its bar start there. The
// legend under the chart reads each plan's own count for the day under the cursor.

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import type { UsageSummary } from "../../src/shared/schemas/usage.ts";
import { formatNumber, formatWeekday, type Plan } from "./format.ts";

const CHART_HEIGHT_PX = 260;
/** Bars take this share of a day's width, and at most this many pixels. */
const BAR_WIDTH_FACTOR = 0.72;
const BAR_WIDTH_MAX_PX = 40;
const AXIS_COLOUR = "#5b6475";
const GRID_COLOUR = "#e3e6ee";
const TOTAL_COLOUR = "#1d2330";
/** Tick steps on the count axis: whole calls only. */
const COUNT_STEPS = [1, 2, 5]
  .flatMap((step) => Array.from({ length: 13 }, (_, power) => step * 10 ** power))
  .sort((a, b) => a - b);

interface Stack {
  data: uPlot.AlignedData;
  /** Each plan's own count a day, in series order (bottom of the stack first). */
  counts: number[][];
  totals: number[];
}

/** The running totals per day, bottom plan first. */
function stack(summary: UsageSummary, plans: Plan[]): Stack {
  const counts = plans.map((plan) =>
    summary.by_day.map((day) => day.tiers.find((row) => row.plan === plan.id)?.count ?? 0),
  );
  const running = summary.by_day.map(() => 0);
  const stacked: number[][] = [];
  for (const perDay of counts) {
    for (const [i, count] of perDay.entries()) running[i] = (running[i] ?? 0) + count;
    stacked.push([...running]);
  }
  const days = summary.by_day.map((_, i) => i + 1);
  const totals = summary.by_day.map((day) => day.count);
  // The last series, "All tiers", draws nothing: it reads the day's total into the legend.
  return { data: [days, ...stacked, totals], counts, totals };
}

/** The plans that had calls this month: the others would only crowd the legend. */
function chartedPlans(summary: UsageSummary, plans: Plan[]): Plan[] {
  return plans.filter((plan) =>
    summary.by_day.some((day) => day.tiers.some((row) => row.plan === plan.id && row.count > 0)),
  );
}

function options(
  summary: UsageSummary,
  plans: Plan[],
  stacked: Stack,
  width: number,
): uPlot.Options {
  // x is the day of the month (1 for the first); null while the cursor is off the chart.
  const dayOf = (x: number | null) => (x === null ? undefined : summary.by_day[x - 1]?.day);
  const bars = uPlot.paths.bars?.({ size: [BAR_WIDTH_FACTOR, BAR_WIDTH_MAX_PX], gap: 1 });
  return {
    width,
    height: CHART_HEIGHT_PX,
    // Hovering shows a day's figures in the legend; dragging does not zoom a month of bars.
    cursor: { points: { show: false }, drag: { x: false, y: false, setScale: false } },
    legend: { live: true },
    scales: {
      x: { time: false, range: [0.5, summary.by_day.length + 0.5] },
      y: { range: (_u, _min, max) => [0, max > 0 ? uPlot.rangeNum(0, max, 0.1, true)[1] : 1] },
    },
    series: [
      {
        label: "Day",
        value: (_u, x) => {
          const day = dayOf(x);
          return day ? formatWeekday(day) : "—";
        },
      },
      ...plans.map<uPlot.Series>((plan, i) => ({
        label: plan.name,
        fill: plan.colour,
        stroke: plan.colour,
        width: 0,
        paths: bars,
        points: { show: false },
        value: (_u, _v, _series, index) =>
          index === null ? "—" : formatNumber(stacked.counts[i]?.[index] ?? 0),
      })),
      {
        label: "All tiers",
        stroke: TOTAL_COLOUR,
        paths: () => null,
        points: { show: false },
        value: (_u, _v, _series, index) =>
          index === null ? "—" : formatNumber(stacked.totals[index] ?? 0),
      },
    ],
    bands: plans.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number] })),
    axes: [
      {
        stroke: AXIS_COLOUR,
        grid: { show: false },
        ticks: { stroke: GRID_COLOUR },
        incrs: [1, 2, 5, 7, 14],
        space: 24,
        values: (_u, splits) => splits.map((day) => String(day)),
      },
      {
        stroke: AXIS_COLOUR,
        grid: { stroke: GRID_COLOUR, width: 1 },
        ticks: { show: false },
        incrs: COUNT_STEPS,
        size: (_u, values) => 18 + 8 * Math.max(3, ...(values ?? []).map((text) => text.length)),
        values: (_u, splits) => splits.map(formatNumber),
      },
    ],
  };
}

export function DailyChart({ summary, plans }: { summary: UsageSummary; plans: Plan[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const charted = chartedPlans(summary, plans);
    const stacked = stack(summary, charted);
    const chart = new uPlot(
      options(summary, charted, stacked, element.clientWidth),
      stacked.data,
      element,
    );
    element.dataset.rendered = "true";
    // The chart follows the page's width; its height is fixed.
    let width = element.clientWidth;
    const resize = new ResizeObserver(() => {
      if (element.clientWidth === width) return;
      width = element.clientWidth;
      chart.setSize({ width, height: CHART_HEIGHT_PX });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      delete element.dataset.rendered;
    };
  }, [summary, plans]);
  return <div ref={box} className="chart" data-chart />;
}
