// Time charts (uPlot: small, fast, canvas; bundled, nothing loaded at run time).
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { usd } from "./format";

export const PALETTE = ["#2f54eb", "#13a8a8", "#fa8c16", "#eb2f96", "#52c41a", "#722ed1", "#faad14", "#8c8c8c"];

export interface Series {
  label: string;
  values: number[];
  color: string;
}

/** One value per UTC day (`days`: YYYY-MM-DD), as bars or lines. */
export function TimeChart(props: { days: string[]; series: Series[]; money?: boolean; bars?: boolean; height?: number; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const format = (v: number | null) => (v === null ? "–" : props.money ? usd(v) : v.toLocaleString("en-US"));
    const bars = props.bars ? uPlot.paths.bars!({ size: [0.6, 48] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: props.height ?? 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      cursor: { drag: { x: false, y: false } },
      // Half a day of room on each side, so the first and last days' bars are whole.
      scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: "#667085", grid: { stroke: "#eef0f4" } }, { stroke: "#667085", grid: { stroke: "#eef0f4" }, size: 70, values: (_u, ticks) => ticks.map((t) => format(t)) }],
      series: [
        { value: (_u, ts) => (ts === null ? "–" : new Date(ts * 1000).toISOString().slice(0, 10)) },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: props.bars ? 0 : 2,
          fill: props.bars ? s.color : undefined,
          paths: bars,
          points: { show: !props.bars && props.days.length < 40 },
          value: (_u: uPlot, v: number | null) => format(v),
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...props.series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: opts.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.days, props.series, props.money, props.bars]);
  return <div class="chart" ref={box} role="img" aria-label={props.label} />;
}
