/**
 * Pre-rendered frames with holes. A frame is serialized once per request with placeholder strings,
 * then split at them; each chunk is then `parts[0] + value0 + parts[1] + ...`. This keeps the field
 * order of the real protocol (it comes from the object literal) while costing one string concat per
 * chunk instead of a JSON.stringify of the whole chunk.
 */
export const SLOT = '@@SLOT@@';
export const SLOT2 = '@@SLOT2@@';

export class FrameTemplate {
  private readonly parts: string[];

  /** `serialized` contains each placeholder once, quoted (`"@@SLOT@@"`), in order of `slots`. */
  constructor(serialized: string, slots: readonly string[] = [SLOT]) {
    this.parts = [];
    let rest = serialized;
    for (const slot of slots) {
      const at = rest.indexOf(`"${slot}"`);
      if (at < 0) throw new Error(`template has no ${slot}: ${serialized}`);
      this.parts.push(rest.slice(0, at));
      rest = rest.slice(at + slot.length + 2);
    }
    this.parts.push(rest);
  }

  /** Fills the holes with already-serialized JSON values. */
  fill(value: string, value2?: string): string {
    if (this.parts.length === 2) return this.parts[0] + value + this.parts[1];
    return this.parts[0] + value + this.parts[1] + (value2 ?? '') + this.parts[2];
  }
}

/** JSON string literal of a generated piece (the vocabulary needs no escaping, but messages may). */
export function quote(text: string): string {
  return JSON.stringify(text);
}
