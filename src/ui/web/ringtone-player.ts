/**
 * The handset's loudspeaker in the page: plays a partition's ringtone with Web Audio from the same tone
 * steps `handset run --audio-out` renders (src/hypervisor/audio.ts): each step a sine of its frequency
 * (0: silence), faded in and out over 1 ms, the steps looping from the first one while the partition rings;
 * k partitions ringing at once each play at 1/k of the level. Steps last `ms / speed` host milliseconds,
 * so the pattern follows the virtual clock; nothing plays while the handset is paused.
 *
 * Browsers start audio only after a user gesture: `enable()` is called from a click.
 *
 * What it plays can be seen (`voiceViews`, `onChange`): who rings, with which ringtone, and the tone steps it
 * has started (scheduled into the audio context) since the ringing began, up to one round of the pattern;
 * the page shows them as its "ringing" indicator (docs/web.md), which is also what the browser tests check.
 */
import type { RingtoneStep } from '../protocol.ts';

const LEVEL = 0.25;
const FADE_S = 0.001;
/** Tones are scheduled this far ahead (seconds); a timer tops them up. */
const AHEAD_S = 0.6;
const REFILL_MS = 150;

/** A partition that rings, as the page shows it. */
export interface VoiceView {
  guest: string;
  /** The ringtone's name. */
  ringtone: string;
  /** The steps started into the audio context so far (`ms` as scheduled: ms / speed), at most one round. */
  started: readonly RingtoneStep[];
}

interface Voice {
  ringtone: string;
  steps: readonly RingtoneStep[];
  started: RingtoneStep[];
  step: number;
  /** When the next step starts (AudioContext time). */
  next: number;
  /** The tones scheduled and not over yet. */
  tones: { node: OscillatorNode; endsAt: number }[];
}

export class RingtonePlayer {
  private context: AudioContext | undefined;
  private readonly voices = new Map<string, Voice>();
  private timer: number | undefined;
  private speed = 1;
  private paused = false;
  /** Called when a voice comes or goes, sound is turned on or off, or a voice started a step of its first round. */
  onChange: (() => void) | undefined;

  get enabled(): boolean {
    return this.context !== undefined && this.context.state !== 'closed';
  }

  /** From a user gesture: audio may start. */
  enable(): void {
    this.context ??= new AudioContext();
    void this.context.resume();
    this.restartAll();
    this.onChange?.();
  }

  disable(): void {
    for (const v of this.voices.values()) this.silence(v);
    void this.context?.close();
    this.context = undefined;
    this.onChange?.();
  }

  /** A partition starts ringing (its ringtone from the first step). */
  play(guest: string, steps: readonly RingtoneStep[], ringtone: string): void {
    this.stop(guest);
    if (steps.length === 0) return;
    const voice: Voice = { ringtone, steps, started: [], step: 0, next: 0, tones: [] };
    this.voices.set(guest, voice);
    this.restartAll();
    this.onChange?.();
  }

  stop(guest: string): void {
    const voice = this.voices.get(guest);
    if (voice === undefined) return;
    this.silence(voice);
    this.voices.delete(guest);
    this.restartAll();
    this.onChange?.();
  }

  stopAll(): void {
    for (const guest of [...this.voices.keys()]) this.stop(guest);
  }

  /** Who rings now. */
  get ringing(): string[] {
    return [...this.voices.keys()];
  }

  /** Who rings, with what, and what has been started of it. */
  get voiceViews(): VoiceView[] {
    return [...this.voices].map(([guest, v]) => ({ guest, ringtone: v.ringtone, started: [...v.started] }));
  }

  setSpeed(speed: number): void {
    if (speed === this.speed) return;
    this.speed = speed;
    this.restartAll();
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.restartAll();
  }

  /** The mix level changed (a voice came or went), or the timing did: reschedule every voice from now. */
  private restartAll(): void {
    const ctx = this.context;
    for (const v of this.voices.values()) {
      this.silence(v);
      v.next = ctx === undefined ? 0 : ctx.currentTime + 0.02;
    }
    if (ctx === undefined || this.paused || this.voices.size === 0) {
      if (this.timer !== undefined) window.clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.refill();
    this.timer ??= window.setInterval(() => this.refill(), REFILL_MS);
  }

  private refill(): void {
    const ctx = this.context;
    if (ctx === undefined || this.paused) return;
    const gain = LEVEL / Math.max(1, this.voices.size);
    const horizon = ctx.currentTime + AHEAD_S;
    let grew = false;
    for (const v of this.voices.values()) {
      v.tones = v.tones.filter((t) => t.endsAt > ctx.currentTime);
      while (v.next < horizon) {
        const step = v.steps[v.step]!;
        const seconds = step.ms / 1000 / this.speed;
        if (step.hz > 0 && seconds > 2 * FADE_S) v.tones.push({ node: this.tone(ctx, step.hz, v.next, seconds, gain), endsAt: v.next + seconds });
        if (v.started.length < v.steps.length) {
          v.started.push({ hz: step.hz, ms: step.ms / this.speed });
          grew = true;
        }
        v.next += seconds;
        v.step = (v.step + 1) % v.steps.length;
      }
    }
    if (grew) this.onChange?.();
  }

  private tone(ctx: AudioContext, hz: number, at: number, seconds: number, level: number): OscillatorNode {
    const osc = ctx.createOscillator();
    osc.type = 'sine';
    osc.frequency.value = hz;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(level, at + FADE_S);
    gain.gain.setValueAtTime(level, at + seconds - FADE_S);
    gain.gain.linearRampToValueAtTime(0, at + seconds);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + seconds);
    return osc;
  }

  private silence(v: Voice): void {
    for (const { node } of v.tones) {
      try {
        node.stop();
      } catch {
        // already stopped
      }
      node.disconnect();
    }
    v.tones = [];
  }
}
