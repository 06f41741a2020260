// The observed sequence of one case: what the kit sent, what came back, when.
import type { FrameSpec, ParsedFrame } from './frames.js';
import { bytesOf, opcodeName } from './frames.js';

/** One line of a trace: `>` kit sent, `<` kit received, `*` a note (timeouts, TCP events, judgements). */
export interface TraceEntry {
  /** Milliseconds since the case started. */
  readonly t: number;
  readonly dir: '>' | '<' | '*';
  readonly text: string;
}

const MAX_ENTRIES = 300;

/** An append-only, bounded list of trace entries. */
export class Trace {
  readonly entries: TraceEntry[] = [];
  private dropped = 0;
  private readonly start = performance.now();

  /** Milliseconds since the case started. */
  now(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }

  /** Record a line; very long traces keep their head and count the rest. */
  add(dir: TraceEntry['dir'], text: string): void {
    if (this.entries.length >= MAX_ENTRIES) {
      this.dropped++;
      return;
    }
    this.entries.push({ t: this.now(), dir, text });
  }

  /** Entries plus a line saying how many were left out. */
  toJSON(): TraceEntry[] {
    return this.dropped === 0 ? this.entries : [...this.entries, { t: this.now(), dir: '*', text: `(${this.dropped} more entries not shown)` }];
  }
}

/** A short printable preview of a payload. */
export function preview(data: Uint8Array, max = 40): string {
  if (data.length === 0) return '';
  const buf = bytesOf(data);
  const head = buf.subarray(0, max);
  const printable = head.every((b) => b >= 0x20 && b < 0x7f);
  const shown = printable ? JSON.stringify(head.toString('latin1')) : head.toString('hex').replace(/(..)/g, '$1 ').trim();
  return data.length > max ? `${shown}…` : shown;
}

function flags(fin: boolean, rsv1?: boolean, rsv2?: boolean, rsv3?: boolean): string {
  return [fin ? 'fin' : 'nofin', rsv1 ? 'rsv1' : '', rsv2 ? 'rsv2' : '', rsv3 ? 'rsv3' : ''].filter(Boolean).join(' ');
}

/** Describe a frame the kit sends. */
export function describeSpec(spec: FrameSpec, masked: boolean): string {
  const payload = bytesOf(spec.payload ?? '');
  const len = spec.claimedLength !== undefined ? `claims ${spec.claimedLength}` : `len=${payload.length}`;
  const detail = spec.opcode === 0x8 && payload.length >= 2 ? ` code=${payload.readUInt16BE(0)}` : '';
  return `${opcodeName(spec.opcode)} ${flags(spec.fin ?? true, spec.rsv1, spec.rsv2, spec.rsv3)} ${masked ? 'masked ' : ''}${len}${detail} ${preview(payload)}`.trim();
}

/** Describe a frame the kit received. */
export function describeFrame(frame: ParsedFrame): string {
  const detail = frame.opcode === 0x8 && frame.payload.length >= 2 ? ` code=${frame.payload.readUInt16BE(0)}` : '';
  return `${opcodeName(frame.opcode)} ${flags(frame.fin, frame.rsv1, frame.rsv2, frame.rsv3)} ${frame.masked ? 'masked ' : ''}len=${frame.payload.length}${detail} ${preview(frame.payload)}`.trim();
}
