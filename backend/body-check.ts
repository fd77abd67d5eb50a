// What JSON.parse accepts but a sample must not carry, anywhere, unknown fields included: nesting
// so deep that storing it fails (JSON.stringify recurses until the stack runs out, SQLite's
// json_valid gives up past 1,000 levels), and numbers JSON cannot hold (1e309 parses to Infinity,
// which would be stored as null). The quick walk every sample takes recurses no deeper than the
// limit; past it, the full walk keeps its own stack, so a body nested a million levels deep costs
// memory, never the call stack.
import type { FieldProblem } from '../shared/payload.js';

/** Deepest nesting of objects and arrays a body may have; fleetmon's own payload needs 4. */
export const MAX_BODY_DEPTH = 64;

export interface BodyShape {
  /** Objects and arrays inside each other: `{}` is 1, `{"a": [1]}` is 2, a bare value 0. */
  depth: number;
  /** One problem per number that is not finite, named by its path (`hardware.x.0`). */
  nonFinite: FieldProblem[];
}

interface Container {
  value: object;
  depth: number;
  /** Where it sits, for naming a bad number inside it: built only when one is found. */
  parent: Container | undefined;
  key: string | number;
}

function pathOf(container: Container, key: string | number): string {
  const keys = [String(key)];
  for (let c: Container | undefined = container; c?.parent !== undefined; c = c.parent) keys.push(String(c.key));
  return keys.reverse().join('.');
}

/**
 * How deep a container nests (`level` being its own depth) when it is within MAX_BODY_DEPTH and
 * holds only finite numbers; -1 otherwise. The walk every sample takes: recursion no deeper than
 * the limit allocates nothing, where the full walk below builds a record per container.
 */
function plainDepth(value: object, level: number): number {
  if (level > MAX_BODY_DEPTH) return -1;
  let deepest = level;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const depth = itemDepth(value[i], level);
      if (depth < 0) return -1;
      if (depth > deepest) deepest = depth;
    }
  } else {
    // An object from JSON.parse inherits nothing enumerable: for...in sees its own keys only.
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const depth = itemDepth(record[key], level);
      if (depth < 0) return -1;
      if (depth > deepest) deepest = depth;
    }
  }
  return deepest;
}

/** plainDepth of an item inside a container at `level`: `level` for a finite number or other plain value. */
function itemDepth(item: unknown, level: number): number {
  if (typeof item === 'object' && item !== null) return plainDepth(item, level + 1);
  return typeof item === 'number' && !Number.isFinite(item) ? -1 : level;
}

/** How deep a parsed JSON body nests, and where it has numbers that are not finite. */
export function measureBody(body: unknown): BodyShape {
  const shape: BodyShape = { depth: 0, nonFinite: [] };
  if (typeof body === 'number' && !Number.isFinite(body)) shape.nonFinite.push({ field: '(body)', message: 'is not a finite number' });
  if (typeof body !== 'object' || body === null) return shape;
  const plain = plainDepth(body, 1);
  if (plain >= 0) return { depth: plain, nonFinite: [] };
  const stack: Container[] = [{ value: body, depth: 1, parent: undefined, key: '' }];
  // Only for a body the quick walk gave up on (too deep, or a number that is not finite), which may
  // be hostile: indexes and Object.keys rather than Object.entries, which builds an array for each
  // property (it took longer than JSON.parse of the same body when every sample came this way).
  const visit = (container: Container, key: string | number, value: unknown): void => {
    if (typeof value === 'object' && value !== null) {
      stack.push({ value, depth: container.depth + 1, parent: container, key });
    } else if (typeof value === 'number' && !Number.isFinite(value)) {
      shape.nonFinite.push({ field: pathOf(container, key), message: 'is not a finite number (JSON numbers beyond ±1.8e308 read as Infinity)' });
    }
  };
  for (let container = stack.pop(); container !== undefined; container = stack.pop()) {
    shape.depth = Math.max(shape.depth, container.depth);
    const value = container.value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(container, i, value[i]);
    } else {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) visit(container, key, record[key]);
    }
  }
  return shape;
}
