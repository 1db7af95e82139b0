/** A value as the service writes it: text, containers of values, and repeated elements. */
export type WireValue = string | WireNode | readonly WireValue[];

/** A container element's children, in document order. */
export interface WireNode {
  readonly [name: string]: WireValue;
}

/**
 * Converts a typed value back to the service's representation, for the XML builder or a JSON callback:
 * numbers and booleans become text, `null` (an unset service time) becomes `-`, `undefined` fields are omitted,
 * and empty arrays are omitted (an absent repeated element). Key order is kept, so builders decide element order.
 */
export function toWire(value: unknown): WireValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.map(toWire).filter((item): item is WireValue => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object') {
    const node: Record<string, WireValue> = {};
    for (const [name, child] of Object.entries(value)) {
      const converted = toWire(child);
      if (converted !== undefined) node[name] = converted;
    }
    return node;
  }
  return undefined;
}

/** {@link toWire} for a container, so the result can be handed to `buildXml`. */
export function toWireNode(value: object): Record<string, WireValue> {
  const converted = toWire(value);
  return isWireNode(converted) ? { ...converted } : {};
}

const isWireNode = (value: WireValue | undefined): value is WireNode =>
  typeof value === 'object' && !Array.isArray(value);
