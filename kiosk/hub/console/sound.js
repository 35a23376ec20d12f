// The attention sound, made with WebAudio (no audio file, nothing fetched).
// Browsers refuse to start audio before a user gesture: `unlock()` is called from the login
// click and from any key or touch, so a console opened by a reload chimes after the first tap.

const TONES_HZ = [880, 660, 880];
const TONE_S = 0.14;

export class Chime {
  constructor() {
    this.context = null;
    this.played = 0;
  }

  get ready() {
    return this.context !== null && this.context.state === "running";
  }

  unlock() {
    const Context = window.AudioContext ?? window.webkitAudioContext;
    if (!Context) return;
    if (this.context === null) this.context = new Context();
    if (this.context.state === "suspended") this.context.resume().catch(() => {});
  }

  /** Three short tones; counted in body[data-chimes] so a test can see it rang. */
  play() {
    this.played += 1;
    document.body.dataset.chimes = String(this.played);
    if (this.context === null) return;
    const ctx = this.context;
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    let at = ctx.currentTime + 0.02;
    for (const hz of TONES_HZ) {
      const osc = ctx.createOscillator();
      osc.type = "sine";
      osc.frequency.value = hz;
      osc.connect(gain);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + TONE_S);
      osc.start(at);
      osc.stop(at + TONE_S);
      at += TONE_S + 0.04;
    }
  }
}
