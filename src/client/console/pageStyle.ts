// The console page's CSS (inline: no CDN, no build step).
export const CONSOLE_STYLE = `
:root { color-scheme: dark; }
body { margin: 0; background: #101317; color: #d7dce2; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: #7fb2ff; text-decoration: none; } a:hover { text-decoration: underline; }
header { display: flex; align-items: baseline; gap: 16px; padding: 10px 16px; border-bottom: 1px solid #232a33; flex-wrap: wrap; }
h1 { font-size: 16px; margin: 0; font-weight: 600; } h1 a { color: #e6e9ec; }
h2 { font-size: 14px; margin: 18px 0 6px; } h3 { font-size: 13px; margin: 12px 0 4px; color: #9aa4af; }
#counts { color: #9aa4af; } #status { color: #9aa4af; margin-left: auto; } #status.error { color: #ff6b6b; }
#msg { padding: 0 16px; min-height: 0; } #msg:not(:empty) { padding: 8px 16px; background: #1b2530; }
#msg.error { background: #3a1d22; color: #ffb3b3; }
main { padding: 8px 16px 32px; }
form.filters, .actions, .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
input, select, textarea, button { font: inherit; color: inherit; background: #1a2028; border: 1px solid #2f3944; border-radius: 4px; padding: 4px 8px; }
textarea { width: 100%; max-width: 900px; min-height: 90px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; box-sizing: border-box; }
button { cursor: pointer; background: #243040; } button:hover { background: #2d3c50; }
button.danger { background: #4a2328; } button.danger:hover { background: #5c2a31; }
button:disabled { opacity: 0.5; cursor: default; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #1f262e; vertical-align: top; }
th { color: #8b949e; font-weight: 500; }
td.mono, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #161b21; border: 1px solid #232a33; border-radius: 4px; padding: 8px; overflow: auto; max-height: 320px; white-space: pre-wrap; word-break: break-word; margin: 0; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; background: #2a3240; }
.badge.running { background: #1d3a66; } .badge.completed, .badge.success { background: #1d4d35; }
.badge.failed { background: #5a2128; } .badge.canceled { background: #4d3f16; } .badge.paused { background: #3d2d5c; }
.badge.queued { background: #33393f; }
.tag { display: inline-block; margin: 0 4px 2px 0; padding: 0 5px; border: 1px solid #34404d; border-radius: 3px; font-size: 11px; }
.err { color: #ff9b9b; } .dim { color: #8b949e; }
.signin { max-width: 420px; margin: 40px auto; } .signin input { width: 100%; box-sizing: border-box; margin: 8px 0; }
.tl { position: relative; max-width: 1100px; }
.tl-row { display: flex; align-items: center; height: 18px; }
.tl-label { width: 220px; flex: none; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; font-size: 12px; color: #b8c0c8; }
.tl-track { position: relative; flex: 1; height: 12px; background: #161b21; }
.tl-bar { position: absolute; top: 0; height: 12px; min-width: 2px; border-radius: 2px; background: #4fd18b; }
.tl-bar.running { background: #5b9bf8; } .tl-bar.failed { background: #ef5b6b; } .tl-bar.canceled { background: #e0b341; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; } @media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
`;
