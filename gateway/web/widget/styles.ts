/**
 * The widget's styles, scoped inside its shadow roots (nothing reaches the host page). Shops theme
 * it with CSS custom properties set on the page, which inherit into the shadow roots:
 * `--pulse-fg`, `--pulse-bg`, `--pulse-muted`, `--pulse-accent`, `--pulse-border`, `--pulse-radius`.
 * The defaults keep text at 4.5:1 contrast or more (fg 15.8:1, muted 6.4:1, accent 6.6:1 on white).
 */

const base = `
:host{--fg:var(--pulse-fg,#1f2328);--bg:var(--pulse-bg,#fff);--muted:var(--pulse-muted,#57606a);--accent:var(--pulse-accent,#0a58ca);--border:var(--pulse-border,#d0d7de);--radius:var(--pulse-radius,8px);font:inherit;color:var(--fg)}
*{box-sizing:border-box}
button{font:inherit;color:inherit;cursor:pointer}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
`;

/** `<pulse-recommendations>`: a heading, a status line and a horizontally scrolling row of cards. */
export const STRIP_CSS = `${base}
:host{display:block;max-width:100%;min-width:0}
:host([hidden]){display:none}
.head{display:flex;align-items:baseline;justify-content:space-between;gap:.5rem;flex-wrap:wrap;margin:0 0 .5rem}
h2{font-size:1.1rem;margin:0}
.state{font-size:.85rem;color:var(--muted)}
:host([data-state="connected"]) .state{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
ol{list-style:none;margin:0;padding:.25rem .25rem .5rem;display:grid;grid-auto-flow:column;grid-auto-columns:minmax(9.5rem,11rem);gap:.75rem;overflow-x:auto;scroll-snap-type:x proximity;overscroll-behavior-x:contain}
li{scroll-snap-align:start;min-width:0}
.card{display:flex;flex-direction:column;gap:.25rem;width:100%;height:100%;text-align:left;text-decoration:none;padding:.75rem;border:1px solid var(--border);border-radius:var(--radius);background:var(--bg);color:var(--fg)}
.card:hover{border-color:var(--accent)}
.title{font-weight:600;line-height:1.25;overflow-wrap:anywhere}
.price{font-variant-numeric:tabular-nums}
.reason{font-size:.8rem;color:var(--muted);line-height:1.3}
.empty{color:var(--muted);margin:.25rem 0}
`;

/** `<pulse-toast>`: a stack of offers in the bottom corner, full width on a phone. */
export const TOAST_CSS = `${base}
:host{position:fixed;z-index:2147483000;right:1rem;bottom:1rem;display:flex;flex-direction:column;gap:.75rem;width:min(24rem,calc(100vw - 2rem));pointer-events:none}
.toast{pointer-events:auto;position:relative;padding:1rem 2.75rem 1rem 1rem;border-radius:var(--radius);background:#1f2328;color:#fff;box-shadow:0 6px 24px rgba(0,0,0,.25)}
.toast h2{font-size:1rem;margin:0 0 .25rem}
.toast p{margin:0 0 .5rem;line-height:1.35}
.coupon{display:flex;align-items:center;gap:.5rem;flex-wrap:wrap}
code{font:600 1rem/1.2 ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.05em;padding:.3rem .5rem;border:1px dashed #fff;border-radius:4px;user-select:all}
.copy{padding:.3rem .7rem;border:1px solid #fff;border-radius:4px;background:transparent;color:#fff}
.close{position:absolute;top:.4rem;right:.4rem;width:2rem;height:2rem;border:0;border-radius:4px;background:transparent;color:#fff;font-size:1.25rem;line-height:1}
.note{font-size:.85rem;color:#d0d7de}
:focus-visible{outline-color:#fff}
`;
