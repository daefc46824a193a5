// What the harness reads about the processes it runs (Linux /proc, taskset, ss).
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. (The harness imports nothing from src/: it measures the built Worker.) */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

function statFields(pid: number): string[] {
  // The command name (field 2) may contain spaces; fields after it are space-separated.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Direct children of a process. */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(Number(entry))[1]) === parent) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** User + system CPU time of the whole process (all threads), ms. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}

/** Resident set size, MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

/** Pins every thread of a process to the given CPU list ("0", "1", "0-1"); false when taskset fails. */
export function pin(pid: number, cpus: string): boolean {
  return spawnSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { encoding: "utf8" }).status === 0;
}

export interface Listener {
  address: string;
  pid: number;
  process: string;
}

/** TCP listening sockets of the given processes, from `ss -ltnpH`. */
export function listeners(pids: readonly number[]): Listener[] {
  const run = spawnSync("ss", ["-ltnpH"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`ss -ltnp failed: ${run.stderr}`);
  const out: Listener[] = [];
  for (const line of run.stdout.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    for (const m of line.matchAll(/\("([^"]+)",pid=(\d+)/g)) {
      if (pids.includes(Number(m[2]))) out.push({ address: cols[3], pid: Number(m[2]), process: m[1] });
    }
  }
  return out;
}

/** Every process below `root` (children, grandchildren, ...). */
export function descendants(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of childPids(queue.shift()!)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}
