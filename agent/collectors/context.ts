// Where the collectors find procfs and sysfs. Tests point these at fixture trees
// (as node_exporter does with collector/fixtures); a containerised agent could point them at
// the host's /proc and /sys mounted elsewhere.
import path from 'node:path';

export interface CollectorContext {
  procRoot: string;
  sysRoot: string;
}

export const hostContext: CollectorContext = { procRoot: '/proc', sysRoot: '/sys' };

export const procPath = (ctx: CollectorContext, ...parts: string[]): string => path.join(ctx.procRoot, ...parts);
export const sysPath = (ctx: CollectorContext, ...parts: string[]): string => path.join(ctx.sysRoot, ...parts);
